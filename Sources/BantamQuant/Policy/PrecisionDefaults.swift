/// A model family's defaults for precision policies: which Linear layers stay as stored when their
/// component is quantized, and which two-dimensional `.weight` tensors are not Linear weights (so a file
/// writer leaves them alone). Names are checkpoint names without `.weight` in every layout the family's
/// files come in (canonical BFL names for the loader, and diffusers names for files).
public struct PrecisionDefaults: Hashable, Sendable {
    public let family: String
    public let exempt: [ModelComponent: [NamePattern]]
    /// 2-D weights that are embeddings or unused heads, never quantized.
    public let notLinear: [ModelComponent: [NamePattern]]
    /// Components that have Linear layers worth quantizing (the VAE is convolutions).
    public let quantizable: Set<ModelComponent>

    /// FLUX.1 (dev, schnell, fine-tunes).
    ///
    /// Transformer: every Linear in the 19 double and 38 single blocks is quantized — 99.5% of the
    /// 11.9 B weights. Kept as stored: the input projections (`img_in`, `txt_in`), the timestep, guidance
    /// and pooled-text embedders (`time_in`, `guidance_in`, `vector_in`) and the output layer
    /// (`final_layer`: its modulation and projection). Together about 62 M weights (124 MB in BF16), but
    /// each sits where an error is not averaged away: the embedders produce the conditioning vector that
    /// modulates every block, the input projections see every token before anything else, and the final
    /// projection writes the velocity directly. Norm scales, biases and RoPE are not Linear weights and are
    /// never quantized. (Diffusers names: x_embedder, context_embedder, time_text_embed.*, norm_out.*,
    /// proj_out.)
    ///
    /// T5: every Linear (attention q/k/v/o, the gated FFN wi_0/wi_1/wo) is quantized; the token embedding
    /// (`shared`, a lookup table, not a Linear) and the relative-position bias table stay as stored. Forge's
    /// published mix stores T5 in fp8 this way. CLIP: nothing exempt, but the recommended policy keeps it in
    /// 16 bit (123 M weights; its pooled output conditions every block). VAE: never quantized.
    public static let flux = PrecisionDefaults(
        family: "flux",
        exempt: [
            .transformer: ["img_in", "txt_in", "time_in.*", "vector_in.*", "guidance_in.*", "final_layer.*",
                           "x_embedder", "context_embedder", "time_text_embed.*", "norm_out.*", "proj_out"].map(NamePattern.init),
            .t5: [], .clip: [],
        ],
        notLinear: [
            .t5: ["shared", "encoder.embed_tokens", "*relative_attention_bias"].map(NamePattern.init),
            .clip: ["*token_embedding", "*position_embedding", "*text_projection"].map(NamePattern.init),
            .transformer: [], .vae: [],
        ],
        quantizable: [.transformer, .t5, .clip])

    /// Whether the 2-D weight `layer.weight` of `component` is a Linear weight.
    public func isLinear(_ layer: String, in component: ModelComponent) -> Bool {
        !(notLinear[component] ?? []).contains { $0.matches(layer) }
    }
}
