import BantamCore
import BantamNN

/// T5's self-attention (transformers `T5Attention`, encoder side): q, k, v, o projections without biases,
/// heads of width d_kv, **no** 1/sqrt(d_kv) scaling (T5 folds it into its initialization), and the
/// shared relative position bias added to the scores.
public struct T5Attention: Sendable {
    public let q: Linear, k: Linear, v: Linear, o: Linear
    public let heads: Int

    init(_ scope: WeightScope, config: T5EncoderConfig, weights: TextEncoderWeights) throws {
        let (d, inner) = (config.dModel, config.innerDim)
        q = try weights.linear(scope.child("q"), in: d, out: inner, bias: false)
        k = try weights.linear(scope.child("k"), in: d, out: inner, bias: false)
        v = try weights.linear(scope.child("v"), in: d, out: inner, bias: false)
        o = try weights.linear(scope.child("o"), in: inner, out: d, bias: false)
        heads = config.heads
    }

    /// x [B, L, d], positionBias [1, H, L, L] -> [B, L, d]
    public func callAsFunction(_ x: Tensor, positionBias: Tensor) throws -> Tensor {
        let (b, l) = (x.shape[0], x.shape[1])
        let inner = q.outFeatures, dKV = inner / heads
        // 1. Projections, split into heads: [B, L, H·dKV] -> [B, H, L, dKV].
        func split(_ t: Tensor) throws -> Tensor { try t.reshape([b, l, heads, dKV]).permute(0, 2, 1, 3) }
        let qh = try split(try q(x)), kh = try split(try k(x)), vh = try split(try v(x))
        // 2. softmax(q·kᵀ + bias)·v, unscaled.
        let out = try attention(qh, kh, vh, bias: positionBias, scale: 1)        // [B, H, L, dKV]
        // 3. Heads merged and projected: -> [B, L, H·dKV] -> [B, L, d].
        return try o(try out.permute(0, 2, 1, 3).reshape([b, l, inner]))
    }
}
