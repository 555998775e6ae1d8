import BantamCore
import BantamNN

extension FluxTransformer {
    /// BFL `SingleStreamBlock` (src/flux/modules/layers.py): one modulated LayerNorm feeds a fused projection
    /// (`linear1`: q, k, v and the MLP input side by side); attention and GELU-MLP run in parallel and
    /// `linear2` maps their concatenation back, behind one gate.
    ///
    /// Memory: `linear1` is applied as its two row blocks (contiguous views of the one loaded weight), so the
    /// 7-activation-wide fused output never exists and q, k, v need no copy to be split; the attention
    /// branch runs in its own function so its temporaries are gone before the MLP branch is computed.
    public struct SingleStreamBlock: Sendable {
        public let heads: Int
        public let hidden: Int
        public let mlpHidden: Int
        public let linear1: Linear          // [3·hidden + mlpHidden, hidden], rows [q; k; v; mlp-in]
        public let linear2: Linear          // [hidden, hidden + mlpHidden], columns [attention; mlp]
        public let norm: QKNorm
        public let modulation: Modulation   // 3 · hidden
        /// Rows [0, 3·hidden) and [3·hidden, 3·hidden + mlpHidden) of `linear1` (views).
        let qkvPart: Linear, mlpPart: Linear

        /// LayerNorm without affine parameters (pre_norm).
        public static let normEps: Float = 1e-6

        public init(_ scope: WeightScope, config: FluxTransformerConfig) throws {
            let (h, m) = (config.hidden, config.mlpHidden)
            heads = config.heads
            hidden = h
            mlpHidden = m
            let linear1 = try Linear(scope.child("linear1"), in: h, out: 3 * h + m)
            self.linear1 = linear1
            linear2 = try Linear(scope.child("linear2"), in: h + m, out: h)
            norm = try QKNorm(scope.child("norm"), dim: config.headDim)
            modulation = try Modulation(scope.child("modulation"), dim: h, double: false)
            func rows(_ range: Range<Int>) throws -> Linear {
                Linear(weight: try linear1.weight.slice(axis: 0, range), bias: try linear1.bias?.slice(axis: 0, range))
            }
            qkvPart = try rows(0..<(3 * h))
            mlpPart = try rows((3 * h)..<(3 * h + m))
        }

        /// x [B, L, hidden] (text then image tokens), vec [B, hidden], pe for the L positions -> [B, L, hidden]
        public func callAsFunction(_ x: Tensor, vec: Tensor, pe: PositionEmbedding) throws -> Tensor {
            // 1. Modulation (shift, scale, gate) and the modulated LayerNorm.
            let mod = try modulation(vec)[0]
            let xMod = try mod.modulatedNorm(x, eps: Self.normEps)                        // [B, L, hidden]

            // 2. Attention branch: linear1's qkv rows, QK norm, RoPE, attention.
            let attn = try attentionBranch(xMod, pe: pe)                                  // [B, L, hidden]

            // 3. MLP branch: linear1's MLP rows, GELU (tanh).
            let mlp = try mlpPart.gelu(xMod)                                              // [B, L, mlpHidden]

            // 4. linear2(cat(attn, mlp)) behind the gate, added to the residual.
            let output = try linear2(try concat([attn, mlp], axis: 2))                    // [B, L, hidden]
            return try mod.gated(x, output)
        }

        /// xMod [B, L, hidden] -> attention output [B, L, hidden]
        private func attentionBranch(_ xMod: Tensor, pe: PositionEmbedding) throws -> Tensor {
            let (q, k, v) = try FluxTransformer.splitQKV(try qkvPart(xMod), heads: heads)   // [B, heads, L, D]
            let (qr, kr) = try norm.normRope(q, k, pe: pe)                                  // QK norm + RoPE
            return try FluxTransformer.attention(qr, kr, v)
        }
    }
}
