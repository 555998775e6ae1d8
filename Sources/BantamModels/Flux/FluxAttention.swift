import BantamCore
import BantamNN

extension FluxTransformer {
    /// The cos and sin tables of the RoPE angles of the joint sequence (text first), [L, headDim/2] f32.
    public typealias PositionEmbedding = (cos: Tensor, sin: Tensor)

    /// BFL `SelfAttention`'s weights (src/flux/modules/layers.py): the fused `qkv` projection, the QK norm
    /// and the output projection `proj`. Double blocks use the parts separately, around a joint attention
    /// over both streams.
    public struct SelfAttention: Sendable {
        public let qkv: Linear     // [3·hidden, hidden], rows [q; k; v], each head-major
        public let norm: QKNorm
        public let proj: Linear    // [hidden, hidden]

        public init(_ scope: WeightScope, dim: Int, headDim: Int) throws {
            qkv = try Linear(scope.child("qkv"), in: dim, out: 3 * dim)
            norm = try QKNorm(scope.child("norm"), dim: headDim)
            proj = try Linear(scope.child("proj"), in: dim, out: dim)
        }
    }

    /// `rearrange(qkv, "B L (K H D) -> K B H L D", K=3, H=heads)`: qkv [B, L, 3·hidden] -> q, k, v
    /// [B, heads, L, headDim] (views of a contiguous qkv; a strided one is copied once by the reshape).
    static func splitQKV(_ qkv: Tensor, heads: Int) throws -> (q: Tensor, k: Tensor, v: Tensor) {
        let (b, l, width) = (qkv.shape[0], qkv.shape[1], qkv.shape[2])
        let headDim = width / (3 * heads)
        let parts = try qkv.reshape([b, l, 3, heads, headDim]).permute(2, 0, 3, 1, 4)   // [3, B, H, L, D]
        func part(_ i: Int) throws -> Tensor { try parts.slice(axis: 0, i..<(i + 1)).squeeze(0) }
        return (try part(0), try part(1), try part(2))
    }

    /// BFL `attention` (src/flux/math.py) after RoPE (which `QKNorm.normRope` has applied to q and k, in f32
    /// inside the op): scaled dot-product attention with scale 1/sqrt(headDim) and no mask, then heads merged.
    /// q, k (rotated), v [B, heads, L, headDim] -> [B, L, heads·headDim]
    static func attention(_ q: Tensor, _ k: Tensor, _ v: Tensor) throws -> Tensor {
        let x = try BantamCore.attention(q, k, v)                        // [B, H, L, D]
        let (b, h, l, d) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        return try x.permute(0, 2, 1, 3).reshape([b, l, h * d])          // "B H L D -> B L (H D)"
    }

    /// BFL `MLP` of a double block: Linear (`0`), GELU with the tanh approximation, Linear (`2`).
    public struct MLP: Sendable {
        public let layer0: Linear   // 0 [mlpHidden, hidden]
        public let layer2: Linear   // 2 [hidden, mlpHidden]

        public init(_ scope: WeightScope, dim: Int, hidden: Int) throws {
            layer0 = try Linear(scope.child(0), in: dim, out: hidden)
            layer2 = try Linear(scope.child(2), in: hidden, out: dim)
        }

        /// [B, L, hidden] -> [B, L, hidden]
        public func callAsFunction(_ x: Tensor) throws -> Tensor {
            try layer2(try layer0.gelu(x))                                 // linear + GELU fused
        }
    }
}
