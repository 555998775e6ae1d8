import BantamCore
import BantamNN

/// CLIP's multi-head self-attention (transformers `CLIPAttention`): separate q/k/v projections with
/// biases, scaled dot-product attention with scale head_dim^-0.5, an output projection. The text tower
/// always runs it causally (each token sees itself and the tokens before it).
public struct CLIPAttention: Sendable {
    public let qProj: Linear, kProj: Linear, vProj: Linear, outProj: Linear
    public let heads: Int

    init(_ scope: WeightScope, config: CLIPTextConfig, weights: TextEncoderWeights) throws {
        let d = config.hidden
        qProj = try weights.linear(scope.child("q_proj"), in: d, out: d, bias: true)
        kProj = try weights.linear(scope.child("k_proj"), in: d, out: d, bias: true)
        vProj = try weights.linear(scope.child("v_proj"), in: d, out: d, bias: true)
        outProj = try weights.linear(scope.child("out_proj"), in: d, out: d, bias: true)
        heads = config.heads
    }

    /// [B, L, D] -> [B, L, D]
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        let (b, l, d) = (x.shape[0], x.shape[1], x.shape[2])
        let headDim = d / heads
        // 1. Projections, split into heads: [B, L, D] -> [B, H, L, Dh].
        func split(_ t: Tensor) throws -> Tensor { try t.reshape([b, l, heads, headDim]).permute(0, 2, 1, 3) }
        let q = try split(try qProj(x))
        let k = try split(try kProj(x))
        let v = try split(try vProj(x))
        // 2. Causal attention, scale head_dim^-0.5 (as transformers: a Python float, used in f32).
        let scale = Float(1 / Double(headDim).squareRoot())
        let o = try attention(q, k, v, causal: true, scale: scale)          // [B, H, L, Dh]
        // 3. Heads merged back and projected: [B, H, L, Dh] -> [B, L, D].
        return try outProj(try o.permute(0, 2, 1, 3).reshape([b, l, d]))
    }
}
