import BantamCore
import BantamNN

/// The checkpoint layouts of the text encoders. The models' canonical parameter names are the Hugging
/// Face names: `text_model.…` for CLIP (as `CLIPTextModel` of transformers 4 saves it, and as the FLUX
/// CLIP-L files and ComfyUI carry it) and `shared.weight` + `encoder.…` for T5.
///
/// ComfyUI all-in-one files keep both encoders under a prefix (formats.md §4.5): wrap the file in a
/// `PrefixedTensorSource` with `comfyCLIPPrefix` / `comfyT5Prefix` and use the same layouts.
public enum TextEncoderLayouts {
    /// CLIP with `text_model.` names.
    public static let clipHF: any WeightLayout = IdentityLayout(
        name: "CLIP text encoder, Hugging Face names", ignoring: clipIgnores)

    /// CLIP as transformers 5 saves `CLIPTextModel`: the same names without the `text_model.` stem
    /// (`embeddings.…`, `encoder.layers.N.…`, `final_layer_norm.…`).
    public static let clipHFUnprefixed: any WeightLayout = MappedLayout(
        name: "CLIP text encoder, Hugging Face names without text_model.", ignoring: clipIgnores
    ) { parameter in
        parameter.hasPrefix(clipStem) ? .key(String(parameter.dropFirst(clipStem.count))) : nil
    }

    /// The CLIP layout that fits `source`: `clipHF` when its keys carry the `text_model.` stem, otherwise
    /// `clipHFUnprefixed`.
    public static func clip(for source: any TensorSource) -> any WeightLayout {
        source.keys.contains { $0.hasPrefix(clipStem) } ? clipHF : clipHFUnprefixed
    }

    /// T5 encoder (`T5EncoderModel`): `shared.weight`, `encoder.block.N.…`, `encoder.final_layer_norm.weight`.
    /// `encoder.embed_tokens.weight`, the tied copy of `shared.weight` that some files carry, is not read
    /// through the layout: `T5Encoder` checks it against `shared.weight` itself (see there).
    public static let t5HF: any WeightLayout = IdentityLayout(
        name: "T5 encoder, Hugging Face names", ignoring: { $0 == t5TiedEmbedding })

    /// The CLIP-L key prefix in ComfyUI all-in-one checkpoints.
    public static let comfyCLIPPrefix = "text_encoders.clip_l.transformer."
    /// The T5-XXL key prefix in ComfyUI all-in-one checkpoints.
    public static let comfyT5Prefix = "text_encoders.t5xxl.transformer."

    /// The stem of the canonical CLIP names.
    static let clipStem = "text_model."
    /// T5's tied copy of the token embedding.
    static let t5TiedEmbedding = "encoder.embed_tokens.weight"

    /// Keys a CLIP checkpoint may carry that the text tower does not use, on purpose: the position-id
    /// buffer (an arange), and the contrastive head (`logit_scale`, `text_projection`; FLUX uses the
    /// pooled output before the projection).
    @Sendable static func clipIgnores(_ key: String) -> Bool {
        let name = key.hasPrefix(clipStem) ? String(key.dropFirst(clipStem.count)) : key
        return ["embeddings.position_ids", "logit_scale", "text_projection.weight"].contains(name)
    }
}
