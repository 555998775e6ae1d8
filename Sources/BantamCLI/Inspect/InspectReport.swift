import BantamIO

/// What `bantam inspect` found at a path: one entry per checkpoint component (a file, a sharded set, or
/// each model subfolder of a diffusers folder), with the detected kind, every tensor, and totals.
struct InspectReport {
    struct DTypeTotal: Equatable {
        let dtype: String
        var count: Int
        var bytes: Int
    }

    struct Component {
        /// "transformer" for a subfolder, "." for files directly in the folder, the file's stem for a file.
        let name: String
        let path: String
        let files: [(path: String, bytes: Int)]
        let kind: CheckpointKind
        /// Sorted by name.
        let tensors: [TensorInfo]
        /// Largest share first.
        let dtypeTotals: [DTypeTotal]
        let metadata: [String: String]

        var tensorCount: Int { tensors.count }
        var bytes: Int { dtypeTotals.reduce(0) { $0 + $1.bytes } }
    }

    let path: String
    let components: [Component]

    var tensorCount: Int { components.reduce(0) { $0 + $1.tensorCount } }
    var bytes: Int { components.reduce(0) { $0 + $1.bytes } }

    /// Opens `path` (a .safetensors file, a .safetensors.index.json, or a folder) and reads every header.
    static func load(_ path: String) throws -> InspectReport {
        let opened: [(component: String, checkpoint: Checkpoint)]
        switch Files.kind(of: path) {
        case .missing:
            throw CLIError("\(path): no such file or folder")
        case .other:
            throw CLIError("\(path): not a regular file or a folder")
        case .file:
            opened = [(stem(of: path), try Checkpoint(path: path))]
        case .directory:
            opened = try CheckpointDirectory.scan(path)
            if opened.isEmpty { throw CLIError("\(path): holds no .safetensors files, neither directly nor in its subfolders") }
        }
        return InspectReport(path: path, components: opened.map { component($0.component, $0.checkpoint) })
    }

    static func component(_ name: String, _ checkpoint: Checkpoint) -> Component {
        let tensors = checkpoint.tensorNames.compactMap { checkpoint.info($0) }
        var totals: [String: DTypeTotal] = [:]
        for t in tensors {
            totals[t.dtype.rawValue, default: DTypeTotal(dtype: t.dtype.rawValue, count: 0, bytes: 0)].count += 1
            totals[t.dtype.rawValue]!.bytes += t.byteCount
        }
        let signatures = tensors.map { TensorSignature(name: $0.name, dtype: $0.dtype.rawValue, shape: $0.shape) }
        return Component(name: name, path: checkpoint.path,
                         files: checkpoint.files.map { ($0.path, $0.fileSize) },
                         kind: ModelDetector.detect(signatures, metadata: checkpoint.metadata),
                         tensors: tensors,
                         dtypeTotals: totals.values.sorted { ($0.bytes, $1.dtype) > ($1.bytes, $0.dtype) },
                         metadata: checkpoint.metadata)
    }

    /// "model.safetensors" → "model"; "x.safetensors.index.json" → "x".
    static func stem(of path: String) -> String {
        var name = Files.baseName(path)
        for suffix in [".safetensors.index.json", ".safetensors", ".json", ".sft"] where name.hasSuffix(suffix) {
            name.removeLast(suffix.count)
            break
        }
        return name
    }
}
