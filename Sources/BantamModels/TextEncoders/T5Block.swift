import BantamCore
import BantamNN

/// T5 v1.1's gated feed-forward (transformers `T5DenseGatedActDense`): wo(act(wi_0(h)) · wi_1(h)).
public struct T5DenseGatedActDense: Sendable {
    public let wi0: Linear, wi1: Linear, wo: Linear
    public let activation: TextActivation

    init(_ scope: WeightScope, config: T5EncoderConfig, weights: TextEncoderWeights) throws {
        wi0 = try weights.linear(scope.child("wi_0"), in: config.dModel, out: config.dFF, bias: false)
        wi1 = try weights.linear(scope.child("wi_1"), in: config.dModel, out: config.dFF, bias: false)
        wo = try weights.linear(scope.child("wo"), in: config.dFF, out: config.dModel, bias: false)
        activation = config.activation
    }

    /// [B, L, d] -> [B, L, d]
    public func callAsFunction(_ h: Tensor) throws -> Tensor {
        let gate = try activation(try wi0(h))           // [B, L, dFF]
        return try wo(try gate * (try wi1(h)))          // [B, L, dFF] -> [B, L, d]
    }
}

/// One T5 encoder block (transformers `T5Block` with `layer.0` = `T5LayerSelfAttention`, `layer.1` =
/// `T5LayerFF`), pre-norm: x += SelfAttention(layer_norm(x)); x += DenseReluDense(layer_norm(x)).
public struct T5Block: Sendable {
    public let selfAttention: T5Attention
    public let attentionLayerNorm: T5LayerNorm
    public let denseReluDense: T5DenseGatedActDense
    public let feedForwardLayerNorm: T5LayerNorm

    init(_ scope: WeightScope, config: T5EncoderConfig, weights: TextEncoderWeights) throws {
        let attentionLayer = scope.child("layer").child(0), feedForwardLayer = scope.child("layer").child(1)
        selfAttention = try T5Attention(attentionLayer.child("SelfAttention"), config: config, weights: weights)
        attentionLayerNorm = T5LayerNorm(weight: try weights.tensor(attentionLayer.child("layer_norm"), "weight",
                                                                    shape: [config.dModel]), eps: config.eps)
        denseReluDense = try T5DenseGatedActDense(feedForwardLayer.child("DenseReluDense"), config: config, weights: weights)
        feedForwardLayerNorm = T5LayerNorm(weight: try weights.tensor(feedForwardLayer.child("layer_norm"), "weight",
                                                                      shape: [config.dModel]), eps: config.eps)
    }

    /// x [B, L, d], positionBias [1, H, L, L] -> [B, L, d]
    public func callAsFunction(_ x: Tensor, positionBias: Tensor) throws -> Tensor {
        let h = try x + (try selfAttention(try attentionLayerNorm(x), positionBias: positionBias))   // 1. attention
        return try h + (try denseReluDense(try feedForwardLayerNorm(h)))                            // 2. feed-forward
    }
}
