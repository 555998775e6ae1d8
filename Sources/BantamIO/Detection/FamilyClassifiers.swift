/// The functions the family rules call once their name patterns matched: they pick the variant and read
/// the sizes from the shapes, so that scaled-down test models and fine-tunes are recognized by structure.
/// Sizes are read from biases and norm scales where possible: bitsandbytes packs weights as U8 [n/2, 1].
enum FamilyClassifiers {
    // MARK: Transformers

    /// FLUX.1, reference (BFL) names. dev has `guidance_in`, schnell has `time_in` but no `guidance_in`.
    @Sendable static func fluxBFL(_ t: TensorIndex) -> Classification {
        var d = ModelDimensions()
        d.hiddenSize = t.dim("img_in.bias", 0) ?? t.dim("txt_in.bias", 0) ?? t.dim("time_in.out_layer.bias", 0)
            ?? t.dim(matching: "double_blocks.#.img_attn.proj.bias", 0) ?? t.dim(matching: "single_blocks.#.linear2.bias", 0)
        d.depth = t.blockCount("double_blocks") ?? 0
        d.singleBlocks = t.blockCount("single_blocks") ?? 0
        d.headDim = t.dim(matching: "double_blocks.#.img_attn.norm.query_norm.scale", 0)
            ?? t.dim(matching: "single_blocks.#.norm.query_norm.scale", 0)
        d.heads = heads(hidden: d.hiddenSize, headDim: d.headDim)
        d.mlpHidden = t.dim(matching: "double_blocks.#.img_mlp.0.bias", 0)
        d.inFeatures = t.dim("img_in.weight", 1)
        d.contextDim = t.dim("txt_in.weight", 1)
        var c = Classification(family: fluxFamily(guidance: t.any("guidance_in.*"), time: t.any("time_in.*")),
                               layout: .bfl, dimensions: d)
        applyFluxVariant(&c, inFeatures: d.inFeatures, quantizedInput: t["img_in.weight"]?.dtype == "U8")
        return c
    }

    /// FLUX.1 or SD3 in diffusers names; Qwen-Image has its own rule before this one.
    @Sendable static func diffusersMMDiT(_ t: TensorIndex) -> Classification {
        // FLUX evidence: single-stream blocks, a Linear x_embedder, guidance. SD3 evidence: a patch-embedding
        // conv with pos_embed, dual attention, the 2048-wide pooled input, head size 64.
        let fluxEvidence = t.any("single_transformer_blocks.#.*") || t.any("x_embedder.*")
            || t.any("time_text_embed.guidance_embedder.*")
        let sd3Evidence = t.any("pos_embed.*") || t.any("transformer_blocks.#.attn2.*")
            || t.dim("time_text_embed.text_embedder.linear_1.weight", 1) == 2048
            || t.dim(matching: "transformer_blocks.#.attn.norm_k.weight", 0) == DetectionRules.sd3HeadDim
        if !fluxEvidence && sd3Evidence { return sd3Diffusers(t) }
        var d = ModelDimensions()
        d.hiddenSize = t.dim("x_embedder.bias", 0) ?? t.dim("context_embedder.bias", 0)
            ?? t.dim(matching: "transformer_blocks.#.attn.to_out.0.bias", 0)
            ?? t.dim(matching: "single_transformer_blocks.#.proj_out.bias", 0)
        d.depth = t.blockCount("transformer_blocks") ?? 0
        d.singleBlocks = t.blockCount("single_transformer_blocks") ?? 0
        d.headDim = t.dim(matching: "transformer_blocks.#.attn.norm_q.weight", 0)
            ?? t.dim(matching: "single_transformer_blocks.#.attn.norm_q.weight", 0)
        d.heads = heads(hidden: d.hiddenSize, headDim: d.headDim)
        d.mlpHidden = t.dim(matching: "transformer_blocks.#.ff.net.0.proj.bias", 0)
        d.inFeatures = t.dim("x_embedder.weight", 1)
        d.contextDim = t.dim("context_embedder.weight", 1)
        var c = Classification(family: fluxFamily(guidance: t.any("time_text_embed.guidance_embedder.*"),
                                                  time: t.any("time_text_embed.timestep_embedder.*")),
                               layout: .diffusers, dimensions: d)
        if !fluxEvidence {
            c.notes.append("no single blocks or embedders in this file: FLUX.1 guessed from the joint-block names and head size")
        }
        applyFluxVariant(&c, inFeatures: d.inFeatures, quantizedInput: t["x_embedder.weight"]?.dtype == "U8")
        return c
    }

    static func fluxFamily(guidance: Bool, time: Bool) -> ModelFamily {
        guidance ? .flux1Dev : (time ? .flux1Schnell : .flux1)
    }

    static func applyFluxVariant(_ c: inout Classification, inFeatures: Int?, quantizedInput: Bool) {
        if c.family == .flux1 {
            c.notes.append("dev or schnell cannot be told: this file has neither the time nor the guidance embedder (one shard of several?)")
        }
        guard let inFeatures else {
            if quantizedInput { c.notes.append("img_in is quantized: Fill/Depth/Canny variant not read") }
            return
        }
        if let variant = DetectionRules.fluxVariants[inFeatures] {
            c.variant = variant.isEmpty ? nil : variant
        } else {
            c.notes.append("img_in takes \(inFeatures) features per token (base FLUX.1: 64)")
        }
    }

    /// SD3 / SD3.5 in SAI names (formats.md §7.1).
    @Sendable static func sd3SAI(_ t: TensorIndex) -> Classification {
        var d = ModelDimensions()
        d.hiddenSize = t.dim("x_embedder.proj.bias", 0) ?? t.dim("context_embedder.bias", 0)
            ?? t.dim(matching: "joint_blocks.#.x_block.attn.proj.bias", 0)
        d.depth = t.blockCount("joint_blocks")
        d.headDim = t.dim(matching: "joint_blocks.#.x_block.attn.ln_q.weight", 0) ?? DetectionRules.sd3HeadDim
        d.heads = heads(hidden: d.hiddenSize, headDim: d.headDim)
        d.mlpHidden = t.dim(matching: "joint_blocks.#.x_block.mlp.fc1.bias", 0)
        d.inFeatures = t.dim("x_embedder.proj.weight", 1)
        d.contextDim = t.dim("context_embedder.weight", 1)
        return sd3Classification(d, layout: .sai, qkNorm: t.any("joint_blocks.#.x_block.attn.ln_q.weight"),
                                 dual: t.any("joint_blocks.#.x_block.attn2.*"))
    }

    /// SD3 / SD3.5 in diffusers names (`pos_embed.proj`, `transformer_blocks.N.attn.norm_q`, `attn2`).
    static func sd3Diffusers(_ t: TensorIndex) -> Classification {
        var d = ModelDimensions()
        d.hiddenSize = t.dim("pos_embed.proj.bias", 0) ?? t.dim("context_embedder.bias", 0)
            ?? t.dim(matching: "transformer_blocks.#.attn.to_out.0.bias", 0)
        d.depth = t.blockCount("transformer_blocks")
        d.headDim = t.dim(matching: "transformer_blocks.#.attn.norm_q.weight", 0) ?? DetectionRules.sd3HeadDim
        d.heads = heads(hidden: d.hiddenSize, headDim: d.headDim)
        d.mlpHidden = t.dim(matching: "transformer_blocks.#.ff.net.0.proj.bias", 0)
        d.inFeatures = t.dim("pos_embed.proj.weight", 1)
        d.contextDim = t.dim("context_embedder.weight", 1)
        return sd3Classification(d, layout: .diffusers, qkNorm: t.any("transformer_blocks.#.attn.norm_q.weight"),
                                 dual: t.any("transformer_blocks.#.attn2.*"))
    }

    static func sd3Classification(_ d: ModelDimensions, layout: WeightLayout, qkNorm: Bool, dual: Bool) -> Classification {
        let size = DetectionRules.sd3Sizes.first { $0.depth == d.depth && $0.qkNorm == qkNorm && $0.dualAttention == dual }
        var c = Classification(family: size?.family ?? .sd3Other, layout: layout, dimensions: d)
        if size == nil {
            c.notes.append("MMDiT of depth \(d.depth ?? 0)\(qkNorm ? " with QK norm" : "")\(dual ? " and dual attention" : ""): not a published SD3 size")
        }
        return c
    }

    /// Qwen-Image (formats.md §7.2): diffusers and ComfyUI use the same names.
    @Sendable static func qwenImage(_ t: TensorIndex) -> Classification {
        var d = ModelDimensions()
        d.hiddenSize = t.dim("img_in.bias", 0) ?? t.dim("txt_in.bias", 0) ?? t.dim(matching: "transformer_blocks.#.attn.to_out.0.bias", 0)
        d.depth = t.blockCount("transformer_blocks")
        d.headDim = t.dim(matching: "transformer_blocks.#.attn.norm_q.weight", 0)
        d.heads = heads(hidden: d.hiddenSize, headDim: d.headDim)
        d.mlpHidden = t.dim(matching: "transformer_blocks.#.img_mlp.net.0.proj.bias", 0)
        d.inFeatures = t.dim("img_in.weight", 1)
        d.contextDim = t.dim("txt_norm.weight", 0) ?? t.dim("txt_in.weight", 1)
        return Classification(family: .qwenImage, layout: .diffusers, dimensions: d)
    }

    // MARK: Autoencoders

    @Sendable static func autoencoderBFL(_ t: TensorIndex) -> Classification { autoencoder(t, layout: .bfl) }
    @Sendable static func autoencoderDiffusers(_ t: TensorIndex) -> Classification { autoencoder(t, layout: .diffusers) }

    /// 16 latent channels and no quant convs: the FLUX.1 AE (SD3's has the same tensors). 4 channels with
    /// quant convs: SD1/SDXL. 5-D convolutions: Qwen-Image's causal 3-D VAE.
    static func autoencoder(_ t: TensorIndex, layout: WeightLayout) -> Classification {
        var d = ModelDimensions()
        let convIn = t["decoder.conv_in.weight"] ?? t["encoder.conv_in.weight"]
        d.latentChannels = t.dim("decoder.conv_in.weight", 1) ?? t.dim("encoder.conv_out.weight", 0).map { $0 / 2 }
        d.baseChannels = t.dim("encoder.conv_in.weight", 0) ?? t.dim("decoder.conv_out.weight", 1)
        let quantConv = t.any("quant_conv.*") || t.any("post_quant_conv.*")
        let family: ModelFamily
        var notes: [String] = []
        if convIn?.shape.count == 5 {
            family = .qwenImageAutoencoder
        } else if d.latentChannels == DetectionRules.fluxLatentChannels && !quantConv {
            family = .flux1Autoencoder
            notes.append("SD3's autoencoder has the same tensors; only its scale and shift differ")
        } else if d.latentChannels == 4 {
            family = .sdAutoencoder
        } else {
            family = .autoencoder
        }
        return Classification(family: family, layout: layout, dimensions: d, notes: notes)
    }

    // MARK: Text encoders

    /// T5 encoder (formats.md §3.4); gated-GELU feed-forward (`wi_0`, `wi_1`) marks v1.1.
    @Sendable static func t5(_ t: TensorIndex) -> Classification {
        var d = ModelDimensions()
        d.hiddenSize = t.dim("encoder.final_layer_norm.weight", 0) ?? t.dim("shared.weight", 1)
            ?? t.dim(matching: "encoder.block.#.layer.0.layer_norm.weight", 0)
        d.depth = t.blockCount("encoder.block")
        d.mlpHidden = t.dim(matching: "encoder.block.#.layer.1.DenseReluDense.wi_0.weight", 0)
            ?? t.dim(matching: "encoder.block.#.layer.1.DenseReluDense.wi.weight", 0)
        d.heads = t.dim(matching: "encoder.block.#.layer.0.SelfAttention.relative_attention_bias.weight", 1)
        d.vocabulary = t.dim("shared.weight", 0) ?? t.dim("encoder.embed_tokens.weight", 0)
        let gated = t.any("encoder.block.#.layer.1.DenseReluDense.wi_0.*")
        let xxl = DetectionRules.t5xxl
        let isXXL = gated && d.hiddenSize == xxl.dModel && d.mlpHidden == xxl.dFF && d.depth == xxl.layers
        var c = Classification(family: isXXL ? .t5xxl : .t5, layout: .transformers, dimensions: d)
        if !isXXL { c.variant = gated ? "v1.1-style" : "v1.0-style" }
        if t.any("decoder.block.#.*") { c.notes.append("the file also holds a T5 decoder") }
        return c
    }

    /// CLIP text tower (formats.md §3.2): CLIP-L = 768 × 12 layers, OpenCLIP bigG = 1280 × 32.
    /// Names with or without the `text_model.` stem.
    @Sendable static func clip(_ t: TensorIndex) -> Classification {
        let stem = t.any("text_model.*") ? "text_model." : ""
        var d = ModelDimensions()
        d.hiddenSize = t.dim(stem + "final_layer_norm.weight", 0) ?? t.dim(stem + "embeddings.token_embedding.weight", 1)
        d.depth = t.blockCount(stem + "encoder.layers")
        d.mlpHidden = t.dim(matching: NamePattern(stem + "encoder.layers.#.mlp.fc1.bias"), 0)
        d.vocabulary = t.dim(stem + "embeddings.token_embedding.weight", 0)
        let size = DetectionRules.clipSizes.first { $0.hidden == d.hiddenSize && $0.layers == d.depth }
        var c = Classification(family: size?.family ?? .clip, layout: .transformers, dimensions: d)
        if t.any("vision_model.*") { c.notes.append("the file also holds a CLIP vision tower") }
        return c
    }

    /// Decoder-only language model (Qwen2.5-VL-7B for Qwen-Image when its vision tower and width match).
    @Sendable static func languageModel(_ t: TensorIndex) -> Classification {
        var d = ModelDimensions()
        let stem = t.any("model.language_model.layers.#.*") ? "model.language_model" : (t.any("model.layers.#.*") ? "model" : "")
        let dot = stem.isEmpty ? "" : stem + "."
        d.hiddenSize = t.dim(dot + "norm.weight", 0) ?? t.dim(dot + "embed_tokens.weight", 1)
        d.depth = t.blockCount(dot + "layers")
        d.mlpHidden = t.dim(matching: NamePattern(dot + "layers.#.mlp.gate_proj.weight"), 0)
        d.vocabulary = t.dim(dot + "embed_tokens.weight", 0)
        let vision = t.any("visual.*") || t.any("model.visual.*")
        let family: ModelFamily = vision && d.hiddenSize == DetectionRules.qwen25VLHidden ? .qwen25VL : .languageModel
        return Classification(family: family, layout: .transformers, dimensions: d)
    }

    // MARK: Adapters

    @Sendable static func lora(_ t: TensorIndex) -> Classification {
        var c = Classification(family: .lora, layout: .unknown)
        let pairs = t.tensors.count { $0.name.hasSuffix(".lora_A.weight") || $0.name.hasSuffix(".lora_down.weight") }
        c.notes.append("\(pairs) low-rank pairs")
        // The rank is the output side of a down (A) matrix [rank, in].
        if let rank = (t.first("*.lora_A.weight") ?? t.first("*.lora_down.weight"))?.shape.first {
            c.notes.append("rank \(rank)")
        }
        return c
    }

    // MARK: Helpers

    static func heads(hidden: Int?, headDim: Int?) -> Int? {
        guard let hidden, let headDim, headDim > 0, hidden % headDim == 0 else { return nil }
        return hidden / headDim
    }
}
