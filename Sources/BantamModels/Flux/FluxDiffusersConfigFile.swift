import BantamCore
import BantamIO
import BantamJSON

/// The one FLUX setting that weights cannot tell: diffusers' `axes_dims_rope`, read from the
/// `config.json` saved next to a diffusers transformer (`transformer/config.json`).
enum FluxDiffusersConfigFile {
    /// `axes_dims_rope` from the config.json in the folder of `source`'s safetensors files, or nil when the
    /// source is not a checkpoint on disk, there is no config.json, or it does not set the key. A config.json
    /// that exists but cannot be read or parsed, or holds a malformed value, throws (naming the file).
    static func axesDims(near source: any TensorSource) throws -> [Int]? {
        guard let checkpoint = source as? Checkpoint else { return nil }
        guard let anchor = checkpoint.indexPath ?? checkpoint.files.first?.path else { return nil }
        let path = SmallFile.join(SmallFile.folder(of: anchor), "config.json")
        guard SmallFile.isFile(path) else { return nil }
        let root: JSONValue
        do { root = try SmallFile.json(at: path) } catch { throw FluxConfigError(error.message) }
        guard let object = root.objectValue else {
            throw FluxConfigError("\(path): expected a JSON object, found \(root.typeName)")
        }
        guard let value = object["axes_dims_rope"], value != .null else { return nil }
        guard let items = value.arrayValue, !items.isEmpty else {
            throw FluxConfigError("\(path): axes_dims_rope is \(value.brief); expected a list of integers")
        }
        return try items.map { item in
            guard let n = item.integerValue else {
                throw FluxConfigError("\(path): axes_dims_rope holds \(item.brief); expected integers")
            }
            return n
        }
    }
}
