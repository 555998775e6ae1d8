/// The detection rules as data: which name prefixes split a file into components, which name patterns
/// identify a family, and the published sizes that name a variant. The functions that read sizes from
/// shapes live in FamilyClassifiers.swift. Facts come from /work/shared/reference/formats.md (§ noted).

/// What a classifier decided about one component.
struct Classification: Sendable {
    var family: ModelFamily
    var variant: String? = nil
    var layout: WeightLayout
    var dimensions = ModelDimensions()
    var notes: [String] = []
}

/// A family rule: it applies when at least one tensor matches one of `anyOf`; `classify` then reads the
/// variant and sizes. Rules are tried in order; the first that applies wins.
struct FamilyRule: Sendable {
    let name: String
    let anyOf: [NamePattern]
    let classify: @Sendable (TensorIndex) -> Classification
}

enum DetectionRules {
    /// Prefixes under which single-file checkpoints nest their sub-models (formats.md §4.5, §7.1, §7.2).
    /// `text_encoders.<name>.` is handled generically (any encoder name), with an optional `transformer.`.
    static let componentPrefixes: [String] = [
        "model.diffusion_model.",   // ComfyUI / SAI transformer
        "first_stage_model.",       // SAI / ldm VAE
        "vae.",                     // ComfyUI VAE
        "cond_stage_model.",        // SD1 CLIP
    ]
    /// Prefixes whose next segment names a sub-model: `text_encoders.clip_l.`, `text_encoders.t5xxl.` ...
    static let namedComponentPrefixes: [String] = ["text_encoders.", "conditioner.embedders."]
    /// Optional segment after a text-encoder prefix (`text_encoders.clip_l.transformer.text_model...`).
    static let encoderWrapper = "transformer."

    /// The family rules, most specific first.
    static let families: [FamilyRule] = [
        // Adapters name the layers they patch, so they must be caught before the model rules.
        FamilyRule(name: "LoRA adapter",
                   anyOf: ["*.lora_A.weight", "*.lora_B.weight", "*.lora_down.weight", "*.lora_up.weight"],
                   classify: FamilyClassifiers.lora),
        // §2.2: double_blocks / single_blocks exist only in FLUX's reference names.
        FamilyRule(name: "FLUX.1 transformer, BFL names",
                   anyOf: ["double_blocks.#.*", "single_blocks.#.*"],
                   classify: FamilyClassifiers.fluxBFL),
        // §7.1: joint_blocks.{i}.{x_block,context_block}.
        FamilyRule(name: "SD3 MMDiT, SAI names",
                   anyOf: ["joint_blocks.#.*"],
                   classify: FamilyClassifiers.sd3SAI),
        // §7.2: txt_norm (ComfyUI's detection key) and the img_mod / img_mlp block names.
        FamilyRule(name: "Qwen-Image transformer",
                   anyOf: ["txt_norm.weight", "transformer_blocks.#.img_mod.*", "transformer_blocks.#.img_mlp.*"],
                   classify: FamilyClassifiers.qwenImage),
        // §2.3: diffusers names of FLUX; SD3's diffusers names share the joint-block part.
        FamilyRule(name: "MMDiT, diffusers names (FLUX.1 or SD3)",
                   anyOf: ["single_transformer_blocks.#.*", "transformer_blocks.#.attn.*",
                           "transformer_blocks.#.norm1_context.*", "time_text_embed.*"],
                   classify: FamilyClassifiers.diffusersMMDiT),
        // §2.8: the AE in BFL / ldm names.
        FamilyRule(name: "KL autoencoder, BFL names",
                   anyOf: ["encoder.down.#.*", "decoder.up.#.*", "encoder.mid.*", "decoder.mid.*"],
                   classify: FamilyClassifiers.autoencoderBFL),
        // §2.8: the diffusers AutoencoderKL mapping.
        FamilyRule(name: "KL autoencoder, diffusers names",
                   anyOf: ["encoder.down_blocks.#.*", "decoder.up_blocks.#.*", "encoder.mid_block.*", "decoder.mid_block.*"],
                   classify: FamilyClassifiers.autoencoderDiffusers),
        // §3.4: HF T5EncoderModel.
        FamilyRule(name: "T5 encoder",
                   anyOf: ["encoder.block.#.layer.#.*"],
                   classify: FamilyClassifiers.t5),
        // §3.2: HF CLIPTextModel. transformers 5 saves CLIPTextModel without the `text_model.` prefix
        // (CLIPTextModelWithProjection keeps it), so both spellings are accepted.
        FamilyRule(name: "CLIP text tower",
                   anyOf: ["text_model.encoder.layers.#.*", "text_model.embeddings.*",
                           "embeddings.token_embedding.weight", "embeddings.position_embedding.weight"],
                   classify: FamilyClassifiers.clip),
        // Qwen2.5-VL and other decoder-only language models used as text encoders (names not in formats.md:
        // reported generically, by the usual HF `layers.N.self_attn` names).
        FamilyRule(name: "decoder-only language model",
                   anyOf: ["model.layers.#.self_attn.*", "layers.#.self_attn.*", "model.language_model.layers.#.self_attn.*"],
                   classify: FamilyClassifiers.languageModel),
    ]

    // MARK: Published sizes

    /// FLUX img_in in-features → variant (formats.md §2.2, from diffusers' single-file detection).
    static let fluxVariants: [Int: String] = [64: "", 384: "Fill", 128: "Depth/Canny"]

    /// SD3-family MMDiT sizes (formats.md §7.1): (depth, qk RMSNorm, dual attention) → family.
    struct SD3Size: Sendable { let depth: Int; let qkNorm: Bool; let dualAttention: Bool; let family: ModelFamily }
    static let sd3Sizes: [SD3Size] = [
        SD3Size(depth: 24, qkNorm: false, dualAttention: false, family: .sd3Medium),
        SD3Size(depth: 24, qkNorm: true, dualAttention: true, family: .sd35Medium),
        SD3Size(depth: 38, qkNorm: true, dualAttention: false, family: .sd35Large),
    ]
    /// SD3's head size: depth × 64 = hidden (ComfyUI's rule `depth = hidden // 64`).
    static let sd3HeadDim = 64

    /// T5-XXL v1.1 (formats.md §3.4): d_model, d_ff, layers.
    static let t5xxl = (dModel: 4096, dFF: 10240, layers: 24)
    /// CLIP text towers (formats.md §3.2, §7.1): hidden, layers → family.
    static let clipSizes: [(hidden: Int, layers: Int, family: ModelFamily)] = [
        (768, 12, .clipL),
        (1280, 32, .clipG),
    ]
    /// Qwen2.5-VL-7B's hidden size (formats.md §7.2: Qwen-Image's joint_attention_dim).
    static let qwen25VLHidden = 3584
    /// The latent channels of the FLUX.1 / SD3 autoencoder (§2.8, §7.1).
    static let fluxLatentChannels = 16
}
