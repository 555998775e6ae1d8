import BantamNN

/// The checkpoint dialects of the FLUX.1 transformer. The model's own (canonical) parameter names are
/// the BFL names (black-forest-labs/flux module tree, formats.md §2.2); each layout says how to make them.
///
/// - `.bfl`: the original single files (`flux1-dev.safetensors`, `flux1-schnell.safetensors`) and the NF4
///   files, whose keys are the BFL names.
/// - `.diffusers`: `FluxTransformer2DModel` (`transformer/` of a diffusers folder); renamed, with the fused
///   projections stored in parts and the final modulation's halves swapped (formats.md §2.3).
/// - ComfyUI / Forge all-in-one files: `.bfl` over `PrefixedTensorSource(file, prefix: "model.diffusion_model.")`.
///
/// Loading is strict: every parameter must come from the file with its exact shape and every key of the
/// file must be used; `WeightLoader.finish()` reports all problems by name.
public enum FluxLayout: String, Sendable, CaseIterable, CustomStringConvertible {
    case bfl
    case diffusers

    /// The ComfyUI all-in-one prefix of the transformer's BFL keys.
    public static let comfyPrefix = "model.diffusion_model."

    public var description: String { self == .bfl ? "BFL" : "diffusers" }

    public var weightLayout: any WeightLayout {
        switch self {
        case .bfl: return IdentityLayout(name: "FLUX.1 transformer, BFL layout")
        case .diffusers: return MappedLayout(name: "FLUX.1 transformer, diffusers layout", map: FluxDiffusersNames.recipe)
        }
    }

    /// Where this layout's double and single blocks are numbered (for counting them).
    var doubleBlockPrefix: String { self == .bfl ? "double_blocks." : "transformer_blocks." }
    var singleBlockPrefix: String { self == .bfl ? "single_blocks." : "single_transformer_blocks." }
}

/// BFL → diffusers names (huggingface/diffusers `convert_flux_transformer_checkpoint_to_diffusers`, read in
/// the other direction): for each canonical BFL parameter, the diffusers tensors it is made of.
enum FluxDiffusersNames {
    /// Top-level modules: BFL prefix → diffusers prefix.
    static let topLevel: [(String, String)] = [
        ("img_in.", "x_embedder."),
        ("txt_in.", "context_embedder."),
        ("time_in.in_layer.", "time_text_embed.timestep_embedder.linear_1."),
        ("time_in.out_layer.", "time_text_embed.timestep_embedder.linear_2."),
        ("vector_in.in_layer.", "time_text_embed.text_embedder.linear_1."),
        ("vector_in.out_layer.", "time_text_embed.text_embedder.linear_2."),
        ("guidance_in.in_layer.", "time_text_embed.guidance_embedder.linear_1."),
        ("guidance_in.out_layer.", "time_text_embed.guidance_embedder.linear_2."),
        ("final_layer.linear.", "proj_out."),
    ]

    /// Inside `double_blocks.i.` → `transformer_blocks.i.`: one-to-one renames (module prefixes).
    static let doubleBlock: [(String, String)] = [
        ("img_mod.lin.", "norm1.linear."),
        ("txt_mod.lin.", "norm1_context.linear."),
        ("img_attn.norm.query_norm.scale", "attn.norm_q.weight"),
        ("img_attn.norm.key_norm.scale", "attn.norm_k.weight"),
        ("txt_attn.norm.query_norm.scale", "attn.norm_added_q.weight"),
        ("txt_attn.norm.key_norm.scale", "attn.norm_added_k.weight"),
        ("img_attn.proj.", "attn.to_out.0."),
        ("txt_attn.proj.", "attn.to_add_out."),
        ("img_mlp.0.", "ff.net.0.proj."),
        ("img_mlp.2.", "ff.net.2."),
        ("txt_mlp.0.", "ff_context.net.0.proj."),
        ("txt_mlp.2.", "ff_context.net.2."),
    ]

    /// Inside `single_blocks.i.` → `single_transformer_blocks.i.`.
    static let singleBlock: [(String, String)] = [
        ("linear2.", "proj_out."),
        ("norm.query_norm.scale", "attn.norm_q.weight"),
        ("norm.key_norm.scale", "attn.norm_k.weight"),
        ("modulation.lin.", "norm.linear."),
    ]

    static func recipe(_ name: String) -> WeightRecipe? {
        // Final modulation: BFL [shift; scale], diffusers AdaLayerNormContinuous [scale; shift].
        if let rest = name.dropPrefix("final_layer.adaLN_modulation.1.") {
            return .swapHalves(.key("norm_out.linear." + rest), axis: 0)
        }
        if let renamed = rename(name, topLevel) { return .key(renamed) }
        if let (index, rest) = block(name, "double_blocks.") {
            let p = "transformer_blocks.\(index)."
            // Fused q, k, v rows [q; k; v] are stored as three Linear layers.
            if let t = rest.dropPrefix("img_attn.qkv.") {
                return .concat(["to_q", "to_k", "to_v"].map { .key("\(p)attn.\($0).\(t)") }, axis: 0)
            }
            if let t = rest.dropPrefix("txt_attn.qkv.") {
                return .concat(["add_q_proj", "add_k_proj", "add_v_proj"].map { .key("\(p)attn.\($0).\(t)") }, axis: 0)
            }
            return rename(rest, doubleBlock).map { .key(p + $0) }
        }
        if let (index, rest) = block(name, "single_blocks.") {
            let p = "single_transformer_blocks.\(index)."
            // linear1 rows [q; k; v; mlp-in] are four Linear layers.
            if let t = rest.dropPrefix("linear1.") {
                return .concat(["attn.to_q", "attn.to_k", "attn.to_v", "proj_mlp"].map { .key("\(p)\($0).\(t)") }, axis: 0)
            }
            return rename(rest, singleBlock).map { .key(p + $0) }
        }
        return nil
    }

    /// `name` with the first matching prefix replaced.
    private static func rename(_ name: String, _ table: [(String, String)]) -> String? {
        for (bfl, diffusers) in table {
            if let rest = name.dropPrefix(bfl) { return diffusers + rest }
        }
        return nil
    }

    /// ("3", "img_attn.qkv.weight") for `double_blocks.3.img_attn.qkv.weight`.
    private static func block(_ name: String, _ prefix: String) -> (Int, String)? {
        guard let rest = name.dropPrefix(prefix), let dot = rest.firstIndex(of: "."),
              let index = Int(rest[..<dot]) else { return nil }
        return (index, String(rest[rest.index(after: dot)...]))
    }
}

private extension String {
    /// The rest of the string after `prefix`, or nil when it does not start with it.
    func dropPrefix(_ prefix: String) -> String? {
        hasPrefix(prefix) ? String(dropFirst(prefix.count)) : nil
    }
}
