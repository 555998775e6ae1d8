import BantamCore
import BantamNN

/// The on-disk dialects of the FLUX autoencoder. The model's canonical parameter names are BFL's
/// (`encoder.down.0.block.1.conv2.weight`, `decoder.up.3.upsample.conv.bias`, `decoder.mid.attn_1.q.weight`).
/// ComfyUI all-in-one files and SD3-style single files hold the BFL names under a prefix (`vae.`,
/// `first_stage_model.`): read them as `.bfl` through a `PrefixedTensorSource` (`locate(in:)` does that).
public enum AutoencoderLayout: Sendable, Equatable {
    /// BFL `ae.safetensors` (ldm-style names).
    case bfl
    /// diffusers `AutoencoderKL` (`vae/diffusion_pytorch_model.safetensors`).
    case diffusers

    /// The strict weight map of this layout for a model with `config`'s number of levels (diffusers numbers
    /// the decoder's up blocks in execution order, the reverse of BFL's, so its map depends on the count).
    public func weightLayout(for config: AutoencoderConfig) -> any WeightLayout {
        weightLayout(levels: config.levels)
    }

    public func weightLayout(levels: Int) -> any WeightLayout {
        switch self {
        case .bfl: return IdentityLayout(name: "FLUX autoencoder, BFL layout")
        case .diffusers: return DiffusersAutoencoderLayout(levels: levels)
        }
    }

    /// Prefixes under which single-file checkpoints carry the AE with BFL names: ComfyUI (`vae.`) and
    /// SD/SD3 single files (`first_stage_model.`).
    public static let singleFilePrefixes = ["vae.", "first_stage_model."]

    /// Finds the autoencoder in `source`: a bare BFL or diffusers AE, or BFL names under one of
    /// `singleFilePrefixes`. Returns the layout and the source to load from (prefix stripped), or nil.
    /// Looks at key names only.
    public static func locate(in source: any TensorSource) -> (layout: AutoencoderLayout, source: any TensorSource)? {
        if let layout = recognize(source, prefix: "") { return (layout, source) }
        for prefix in singleFilePrefixes where recognize(source, prefix: prefix) == .bfl {
            return (.bfl, PrefixedTensorSource(source, prefix: prefix))
        }
        return nil
    }

    private static func recognize(_ source: any TensorSource, prefix: String) -> AutoencoderLayout? {
        guard source.shape(of: prefix + "encoder.conv_in.weight") != nil || source.shape(of: prefix + "decoder.conv_in.weight") != nil else {
            return nil
        }
        if source.shape(of: prefix + "decoder.conv_norm_out.weight") != nil { return .diffusers }
        if source.shape(of: prefix + "decoder.norm_out.weight") != nil { return .bfl }
        return nil
    }
}

/// diffusers `AutoencoderKL` names for the canonical (BFL) ones, per formats.md §2.8 (diffusers'
/// single_file_utils conversion, read backwards):
///
/// | BFL | diffusers |
/// |---|---|
/// | `{enc,dec}.norm_out` | `conv_norm_out` |
/// | `encoder.down.{l}.block.{b}` | `encoder.down_blocks.{l}.resnets.{b}` |
/// | `encoder.down.{l}.downsample.conv` | `encoder.down_blocks.{l}.downsamplers.0.conv` |
/// | `decoder.up.{l}.block.{b}` | `decoder.up_blocks.{L−1−l}.resnets.{b}` |
/// | `decoder.up.{l}.upsample.conv` | `decoder.up_blocks.{L−1−l}.upsamplers.0.conv` |
/// | `*.nin_shortcut` | `*.conv_shortcut` |
/// | `mid.block_1` / `mid.block_2` | `mid_block.resnets.0` / `.1` |
/// | `mid.attn_1.{norm,q,k,v,proj_out}` | `mid_block.attentions.0.{group_norm,to_q,to_k,to_v,to_out.0}` |
///
/// The attention projections are 1×1 conv weights [C, C, 1, 1] in BFL and Linear weights [C, C] in
/// diffusers; the recipe adds the two unit axes back (a view, no copy).
struct DiffusersAutoencoderLayout: WeightLayout {
    let levels: Int
    var name: String { "FLUX autoencoder, diffusers layout" }

    func ignores(_ key: String) -> Bool { false }

    func recipe(for parameter: String) -> WeightRecipe? {
        var parts = parameter.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 3 else { return .key(parameter) }
        // parts[0] is "encoder" or "decoder"; rewrite the module path after it.
        switch parts[1] {
        case "norm_out":
            parts[1] = "conv_norm_out"
        case "mid":
            // mid.block_1.X -> mid_block.resnets.0.X ; mid.attn_1.Y.Z -> mid_block.attentions.0.Y'.Z
            let block = parts[2]
            var rest = Array(parts[3...])
            if block == "attn_1" {
                let renamed = ["norm": "group_norm", "q": "to_q", "k": "to_k", "v": "to_v", "proj_out": "to_out.0"]
                if let first = rest.first, let new = renamed[first] { rest[0] = new }
                let key = ([parts[0], "mid_block", "attentions", "0"] + rest).joined(separator: ".")
                let isProjection = ["q", "k", "v", "proj_out"].contains(parts[3]) && parts.last == "weight"
                return isProjection ? .unsqueeze(.unsqueeze(.key(key), axis: 2), axis: 3) : .key(key)
            }
            let index = block == "block_1" ? "0" : block == "block_2" ? "1" : block
            parts = [parts[0], "mid_block", "resnets", index] + renamedResnet(rest)
        case "down":
            // encoder.down.l.block.b.X / encoder.down.l.downsample.conv.X
            guard parts.count >= 5 else { break }
            let level = parts[2]
            if parts[3] == "block" {
                parts = [parts[0], "down_blocks", level, "resnets", parts[4]] + renamedResnet(Array(parts[5...]))
            } else if parts[3] == "downsample" {
                parts = [parts[0], "down_blocks", level, "downsamplers", "0"] + parts[4...]
            }
        case "up":
            // decoder.up.l.block.b.X / decoder.up.l.upsample.conv.X, with l counted from the other end.
            guard parts.count >= 5, let l = Int(parts[2]) else { break }
            let level = String(levels - 1 - l)
            if parts[3] == "block" {
                parts = [parts[0], "up_blocks", level, "resnets", parts[4]] + renamedResnet(Array(parts[5...]))
            } else if parts[3] == "upsample" {
                parts = [parts[0], "up_blocks", level, "upsamplers", "0"] + parts[4...]
            }
        default:
            break   // conv_in, conv_out keep their names
        }
        return .key(parts.joined(separator: "."))
    }

    /// A ResnetBlock's parameter path: only the shortcut differs.
    private func renamedResnet(_ rest: [String]) -> [String] {
        guard let first = rest.first, first == "nin_shortcut" else { return rest }
        return ["conv_shortcut"] + rest.dropFirst()
    }
}
