import BantamCore
import BantamNN

extension FluxTransformer {
    /// BFL `DoubleStreamBlock` (src/flux/modules/layers.py): image and text tokens keep separate weights
    /// (modulation, qkv, QK norm, projection, MLP) and meet in one joint attention over [text; image].
    public struct DoubleStreamBlock: Sendable {
        public let heads: Int
        public let imgMod: Modulation        // img_mod
        public let imgAttn: SelfAttention    // img_attn
        public let imgMlp: MLP               // img_mlp
        public let txtMod: Modulation        // txt_mod
        public let txtAttn: SelfAttention    // txt_attn
        public let txtMlp: MLP               // txt_mlp

        /// LayerNorm without affine parameters (img_norm1/2, txt_norm1/2).
        public static let normEps: Float = 1e-6

        public init(_ scope: WeightScope, config: FluxTransformerConfig) throws {
            let (h, m, d) = (config.hidden, config.mlpHidden, config.headDim)
            heads = config.heads
            imgMod = try Modulation(scope.child("img_mod"), dim: h, double: true)
            imgAttn = try SelfAttention(scope.child("img_attn"), dim: h, headDim: d)
            imgMlp = try MLP(scope.child("img_mlp"), dim: h, hidden: m)
            txtMod = try Modulation(scope.child("txt_mod"), dim: h, double: true)
            txtAttn = try SelfAttention(scope.child("txt_attn"), dim: h, headDim: d)
            txtMlp = try MLP(scope.child("txt_mlp"), dim: h, hidden: m)
        }

        /// img [B, Li, hidden], txt [B, Lt, hidden], vec [B, hidden], pe for Lt + Li positions
        /// -> (img, txt) of the same shapes.
        public func callAsFunction(img: Tensor, txt: Tensor, vec: Tensor,
                                   pe: PositionEmbedding) throws -> (img: Tensor, txt: Tensor) {
            let textLength = txt.shape[1]
            // 1. Modulations from the conditioning vector: (shift, scale, gate) × 2 per stream, [B, 1, hidden].
            let imgMods = try imgMod(vec), txtMods = try txtMod(vec)
            let (imgMod1, imgMod2) = (imgMods[0], imgMods[1])
            let (txtMod1, txtMod2) = (txtMods[0], txtMods[1])

            // 2.–4. Joint attention over [text; image] along the sequence: [B, Lt + Li, hidden].
            let attn = try jointAttention(img: img, txt: txt, imgMod: imgMod1, txtMod: txtMod1, pe: pe)
            let txtAttnOut = try attn.slice(axis: 1, 0..<textLength)                      // [B, Lt, hidden]
            let imgAttnOut = try attn.slice(axis: 1, textLength..<attn.shape[1])          // [B, Li, hidden]

            // 5. Image residuals: gated attention projection, then the gated MLP of the re-modulated stream.
            var img = try imgMod1.gated(img, try imgAttn.proj(imgAttnOut))
            img = try imgMod2.gated(img, try imgMlp(try imgMod2.modulatedNorm(img, eps: Self.normEps)))

            // 6. Text residuals, likewise.
            var txt = try txtMod1.gated(txt, try txtAttn.proj(txtAttnOut))
            txt = try txtMod2.gated(txt, try txtMlp(try txtMod2.modulatedNorm(txt, eps: Self.normEps)))
            return (img, txt)
        }

        /// Steps 2–4: each stream's q, k, v, concatenated text first, through RoPE and attention.
        /// -> [B, Lt + Li, hidden]
        private func jointAttention(img: Tensor, txt: Tensor, imgMod: ModulationOut, txtMod: ModulationOut,
                                    pe: PositionEmbedding) throws -> Tensor {
            // RoPE angles of each stream's positions in the joint sequence (text first): rows of pe.
            let textLength = txt.shape[1], total = pe.cos.shape[0]
            let txtPE = (cos: try pe.cos.slice(axis: 0, 0..<textLength), sin: try pe.sin.slice(axis: 0, 0..<textLength))
            let imgPE = (cos: try pe.cos.slice(axis: 0, textLength..<total), sin: try pe.sin.slice(axis: 0, textLength..<total))
            // 2. Image stream: [B, heads, Li, D] each, q and k normalized and rotated.
            let (imgQ, imgK, imgV) = try Self.streamQKV(img, mod: imgMod, attn: imgAttn, heads: heads, pe: imgPE)
            // 3. Text stream: [B, heads, Lt, D] each.
            let (txtQ, txtK, txtV) = try Self.streamQKV(txt, mod: txtMod, attn: txtAttn, heads: heads, pe: txtPE)
            // 4. Attention over the joint sequence.
            let q = try concat([txtQ, imgQ], axis: 2)                                     // [B, heads, L, D]
            let k = try concat([txtK, imgK], axis: 2)
            let v = try concat([txtV, imgV], axis: 2)
            return try FluxTransformer.attention(q, k, v)
        }

        /// One stream: modulated LayerNorm, project to q, k, v [B, heads, L, D], QK norm + RoPE of q and k
        /// with the stream's rows `pe` of the joint angle tables (RoPE acts per position, so rotating each
        /// stream before the concatenation equals rotating the joint sequence).
        private static func streamQKV(_ x: Tensor, mod: ModulationOut, attn: SelfAttention, heads: Int,
                                      pe: PositionEmbedding) throws -> (q: Tensor, k: Tensor, v: Tensor) {
            let modulated = try mod.modulatedNorm(x, eps: normEps)                        // [B, L, hidden]
            let (q, k, v) = try FluxTransformer.splitQKV(try attn.qkv(modulated), heads: heads)
            let (qr, kr) = try attn.norm.normRope(q, k, pe: pe)
            return (qr, kr, v)
        }
    }
}
