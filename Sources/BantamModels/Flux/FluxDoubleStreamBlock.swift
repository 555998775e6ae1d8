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
            var img = try img + imgMod1.gate * imgAttn.proj(imgAttnOut)
            img = try img + imgMod2.gate * imgMlp(try imgMod2.modulate(try layerNorm(img, eps: Self.normEps)))

            // 6. Text residuals, likewise.
            var txt = try txt + txtMod1.gate * txtAttn.proj(txtAttnOut)
            txt = try txt + txtMod2.gate * txtMlp(try txtMod2.modulate(try layerNorm(txt, eps: Self.normEps)))
            return (img, txt)
        }

        /// Steps 2–4: each stream's q, k, v, concatenated text first, through RoPE and attention.
        /// -> [B, Lt + Li, hidden]
        private func jointAttention(img: Tensor, txt: Tensor, imgMod: ModulationOut, txtMod: ModulationOut,
                                    pe: PositionEmbedding) throws -> Tensor {
            // 2. Image stream: [B, heads, Li, D] each.
            let (imgQ, imgK, imgV) = try Self.streamQKV(img, mod: imgMod, attn: imgAttn, heads: heads)
            // 3. Text stream: [B, heads, Lt, D] each.
            let (txtQ, txtK, txtV) = try Self.streamQKV(txt, mod: txtMod, attn: txtAttn, heads: heads)
            // 4. Attention over the joint sequence.
            let q = try concat([txtQ, imgQ], axis: 2)                                     // [B, heads, L, D]
            let k = try concat([txtK, imgK], axis: 2)
            let v = try concat([txtV, imgV], axis: 2)
            return try FluxTransformer.attention(q, k, v, pe: pe)
        }

        /// One stream: LayerNorm, modulate, project to q, k, v [B, heads, L, D], normalize q and k.
        private static func streamQKV(_ x: Tensor, mod: ModulationOut, attn: SelfAttention,
                                      heads: Int) throws -> (q: Tensor, k: Tensor, v: Tensor) {
            let modulated = try mod.modulate(try layerNorm(x, eps: normEps))              // [B, L, hidden]
            let (q, k, v) = try FluxTransformer.splitQKV(try attn.qkv(modulated), heads: heads)
            let (qn, kn) = try attn.norm(q, k)
            return (qn, kn, v)
        }
    }
}
