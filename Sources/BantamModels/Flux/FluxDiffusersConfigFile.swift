#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
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
        let path = folder(of: anchor) + "/config.json"
        guard let bytes = try read(path) else { return nil }
        let root: JSONValue
        do {
            root = try bytes.withUnsafeBytes { try JSONParser.parse($0) }
        } catch {
            throw FluxConfigError("\(path): \(error)")
        }
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

    /// The folder part of a path ("." for a bare name).
    static func folder(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// The whole file, nil when it does not exist; other failures throw.
    private static func read(_ path: String) throws -> [UInt8]? {
        guard let file = fopen(path, "rb") else {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw FluxConfigError("\(path): cannot open (errno \(errno))")
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = fread(&chunk, 1, chunk.count, file)
            if n > 0 { bytes.append(contentsOf: chunk[0..<n]) }
            if n < chunk.count {
                if ferror(file) != 0 { throw FluxConfigError("\(path): read error") }
                break
            }
        }
        return bytes
    }
}
