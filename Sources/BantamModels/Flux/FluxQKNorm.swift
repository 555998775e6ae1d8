import BantamCore
import BantamNN

extension FluxTransformer {
    /// BFL `QKNorm` (src/flux/modules/layers.py): RMSNorm of q and of k over the head features, eps 1e-6,
    /// each with its own learned `scale` [headDim].
    ///
    /// Numerics: the reference normalizes in f32, rounds to the input dtype and then multiplies by the scale;
    /// `rmsNorm` computes x·rsqrt(mean(x²) + eps)·scale in f32 and rounds once (identical in f32, one rounding
    /// fewer in bf16/f16).
    public struct QKNorm: Sendable {
        public let queryNorm: RMSNorm   // query_norm.scale [headDim]
        public let keyNorm: RMSNorm     // key_norm.scale [headDim]

        public static let eps: Float = 1e-6

        public init(_ scope: WeightScope, dim: Int) throws {
            queryNorm = try RMSNorm(scope.child("query_norm"), dim: dim, eps: Self.eps, parameter: "scale")
            keyNorm = try RMSNorm(scope.child("key_norm"), dim: dim, eps: Self.eps, parameter: "scale")
        }

        /// q, k [B, heads, L, headDim] -> the same, normalized (contiguous).
        public func callAsFunction(_ q: Tensor, _ k: Tensor) throws -> (Tensor, Tensor) {
            (try queryNorm(q), try keyNorm(k))
        }

        /// q, k [B, heads, L, headDim] (views are read in place) -> normalized and rotated by the RoPE angles
        /// of their L positions, cos and sin [L, headDim/2]: `rope(norm(x))` as one fused op each.
        public func normRope(_ q: Tensor, _ k: Tensor, pe: PositionEmbedding) throws -> (Tensor, Tensor) {
            func apply(_ norm: RMSNorm, _ x: Tensor) throws -> Tensor {
                guard let weight = norm.weight else {
                    return try rope(try norm(x), cos: pe.cos, sin: pe.sin, style: .interleaved)
                }
                return try qkNormRope(x, weight: weight, cos: pe.cos, sin: pe.sin, eps: norm.eps, style: .interleaved)
            }
            return (try apply(queryNorm, q), try apply(keyNorm, k))
        }
    }
}
