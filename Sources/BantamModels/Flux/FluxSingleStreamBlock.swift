import BantamCore
import BantamNN

extension FluxTransformer {
    /// BFL `SingleStreamBlock` (src/flux/modules/layers.py): one modulated LayerNorm feeds a fused projection
    /// (`linear1`: q, k, v and the MLP input side by side); attention and GELU-MLP run in parallel and
    /// `linear2` maps their concatenation back, behind one gate.
    public struct SingleStreamBlock: Sendable {
        public let heads: Int
        public let hidden: Int
        public let mlpHidden: Int
        public let linear1: Linear          // [3·hidden + mlpHidden, hidden]
        public let linear2: Linear          // [hidden, hidden + mlpHidden]
        public let norm: QKNorm
        public let modulation: Modulation   // 3 · hidden

        /// LayerNorm without affine parameters (pre_norm).
        public static let normEps: Float = 1e-6

        public init(_ scope: WeightScope, config: FluxTransformerConfig) throws {
            let (h, m) = (config.hidden, config.mlpHidden)
            heads = config.heads
            hidden = h
            mlpHidden = m
            linear1 = try Linear(scope.child("linear1"), in: h, out: 3 * h + m)
            linear2 = try Linear(scope.child("linear2"), in: h + m, out: h)
            norm = try QKNorm(scope.child("norm"), dim: config.headDim)
            modulation = try Modulation(scope.child("modulation"), dim: h, double: false)
        }

        /// x [B, L, hidden] (text then image tokens), vec [B, hidden], pe for the L positions -> [B, L, hidden]
        public func callAsFunction(_ x: Tensor, vec: Tensor, pe: PositionEmbedding) throws -> Tensor {
            // 1. Modulation (shift, scale, gate) and the modulated LayerNorm.
            let mod = try modulation(vec)[0]
            let xMod = try mod.modulate(try layerNorm(x, eps: Self.normEps))                  // [B, L, hidden]

            // 2. Fused projection, split (views) into qkv [B, L, 3·hidden] and the MLP input [B, L, mlpHidden].
            let fused = try linear1(xMod)                                                      // [B, L, 3·hidden + mlp]
            let qkv = try fused.slice(axis: 2, 0..<(3 * hidden))
            let mlp = try fused.slice(axis: 2, (3 * hidden)..<(3 * hidden + mlpHidden))

            // 3. Attention over the whole sequence: q, k, v [B, heads, L, D] -> [B, L, hidden].
            let (q0, k0, v) = try FluxTransformer.splitQKV(qkv, heads: heads)
            let (q, k) = try norm(q0, k0)
            let attn = try FluxTransformer.attention(q, k, v, pe: pe)

            // 4. linear2(cat(attn, gelu(mlp))) behind the gate, added to the residual.
            let output = try linear2(try concat([attn, try gelu(mlp)], axis: 2))              // [B, L, hidden]
            return try x + mod.gate * output
        }
    }
}
