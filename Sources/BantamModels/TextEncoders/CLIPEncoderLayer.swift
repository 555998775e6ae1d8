import BantamCore
import BantamNN

/// The MLP of a CLIP layer (transformers `CLIPMLP`): fc1, activation, fc2.
public struct CLIPMLP: Sendable {
    public let fc1: Linear, fc2: Linear
    public let activation: TextActivation

    init(_ scope: WeightScope, config: CLIPTextConfig, weights: TextEncoderWeights) throws {
        fc1 = try weights.linear(scope.child("fc1"), in: config.hidden, out: config.intermediate, bias: true)
        fc2 = try weights.linear(scope.child("fc2"), in: config.intermediate, out: config.hidden, bias: true)
        activation = config.activation
    }

    /// [B, L, D] -> [B, L, D]
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try fc2(try activation(try fc1(x)))     // [B, L, I] in between
    }
}

/// One pre-LayerNorm transformer layer of the CLIP text tower (transformers `CLIPEncoderLayer`):
/// x += self_attn(layer_norm1(x)); x += mlp(layer_norm2(x)).
public struct CLIPEncoderLayer: Sendable {
    public let selfAttn: CLIPAttention
    public let layerNorm1: LayerNorm
    public let mlp: CLIPMLP
    public let layerNorm2: LayerNorm

    init(_ scope: WeightScope, config: CLIPTextConfig, weights: TextEncoderWeights) throws {
        selfAttn = try CLIPAttention(scope.child("self_attn"), config: config, weights: weights)
        layerNorm1 = try weights.layerNorm(scope.child("layer_norm1"), dim: config.hidden, eps: config.eps)
        mlp = try CLIPMLP(scope.child("mlp"), config: config, weights: weights)
        layerNorm2 = try weights.layerNorm(scope.child("layer_norm2"), dim: config.hidden, eps: config.eps)
    }

    /// [B, L, D] -> [B, L, D]
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        let h = try x + (try selfAttn(try layerNorm1(x)))      // 1. causal self-attention, residual
        return try h + (try mlp(try layerNorm2(h)))            // 2. MLP, residual
    }
}
