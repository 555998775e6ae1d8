import BantamCore

/// T5's "LayerNorm" (transformers `T5LayerNorm`): an RMS norm without mean subtraction or bias,
/// weight · (x · rsqrt(mean(x²) + eps)).
///
/// Numerics as transformers: the mean of squares is taken in f32; the normalized x is rounded to the
/// activation dtype (transformers casts it to the weight's dtype when that is f16/bf16) *before* the
/// weight multiplies it, so bf16 sees two roundings, not `rmsNorm`'s fused one.
public struct T5LayerNorm: Sendable {
    public let weight: Tensor     // [d]
    public let eps: Float

    public init(weight: Tensor, eps: Float) {
        self.weight = weight
        self.eps = eps
    }

    /// [..., d] -> [..., d]
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try weight * (try rmsNorm(x, weight: nil, eps: eps))
    }
}
