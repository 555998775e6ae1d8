import BantamJSON
import BantamCore

/// One checkpoint component: a single .safetensors file, or a sharded set described by
/// `*.safetensors.index.json` (also found when given the folder that holds it).
///
/// A sharded set is checked as a whole when opened: every shard is mapped and validated, every name in
/// `weight_map` must be in the shard it names, and every tensor of every shard must be in `weight_map`
/// under that shard (so no tensor is missing from the map or present in two shards). Each problem is
/// reported by file and tensor name. Tensors are then read lazily, one at a time, like `SafetensorsFile`.
public final class Checkpoint: @unchecked Sendable {
    /// The path given to `init` (a file, an index, or a folder).
    public let path: String
    /// The index file of a sharded checkpoint, nil for a single file.
    public let indexPath: String?
    /// The safetensors files: one, or the shards sorted by name.
    public let files: [SafetensorsFile]
    /// `__metadata__` of the files merged (the first file that has a key wins).
    public let metadata: [String: String]

    /// Tensor name → index in `files`.
    private let location: [ExactKey: Int]

    public init(path: String) throws {
        self.path = path
        let target = try CheckpointLocator.resolve(path)
        var files: [SafetensorsFile] = []
        var location: [ExactKey: Int] = [:]
        switch target {
        case .single(let file):
            let safetensors = try SafetensorsFile(path: file)
            files = [safetensors]
            for info in safetensors.tensors { location[ExactKey(info.name)] = 0 }
            self.indexPath = nil
        case .sharded(let indexFile):
            let index = try ShardIndex(path: indexFile)
            // Open every shard; a missing one is reported by the index and the first tensor it should hold.
            var shardNumber: [ExactKey: Int] = [:]
            for shard in index.shards {
                let shardPath = FileSystem.join(index.folder, shard)
                if FileSystem.kind(of: shardPath) == .missing {
                    let tensor = index.weightMap.first { ExactKey($0.shard) == ExactKey(shard) }?.tensor
                    throw CheckpointError(file: indexFile, tensor: tensor,
                                          reason: "weight_map names shard '\(CheckpointError.printable(shard))', which does not exist in \(index.folder)")
                }
                shardNumber[ExactKey(shard)] = files.count
                files.append(try SafetensorsFile(path: shardPath))
            }
            // Every name in the map must be in its shard.
            let indexName = FileSystem.baseName(indexFile)
            for (tensor, shard) in index.weightMap {
                let number = shardNumber[ExactKey(shard)]!
                guard files[number][tensor] != nil else {
                    throw CheckpointError(file: files[number].path, tensor: tensor,
                                          reason: "is listed in \(indexName) for this shard, but the shard does not hold it")
                }
                location[ExactKey(tensor)] = number
            }
            // Every tensor of every shard must be in the map, under that shard.
            for (number, file) in files.enumerated() {
                for info in file.tensors {
                    guard let mapped = location[ExactKey(info.name)] else {
                        throw CheckpointError(file: file.path, tensor: info.name,
                                              reason: "is in this shard but missing from the weight_map of \(indexName)")
                    }
                    guard mapped == number else {
                        throw CheckpointError(file: file.path, tensor: info.name,
                                              reason: "is also in shard '\(FileSystem.baseName(files[mapped].path))'; a tensor may be in one shard only")
                    }
                }
            }
            self.indexPath = indexFile
        }
        var metadata: [String: String] = [:]
        for file in files {
            for (key, value) in file.metadata where metadata[key] == nil { metadata[key] = value }
        }
        self.files = files
        self.location = location
        self.metadata = metadata
    }

    /// Every tensor name, sorted by bytes.
    public var tensorNames: [String] {
        location.keys.map(\.string).sorted { $0.utf8Precedes($1) }
    }

    public func info(_ name: String) -> TensorInfo? {
        file(containing: name)?[name]
    }

    /// The file that holds `name`.
    public func file(containing name: String) -> SafetensorsFile? {
        location[ExactKey(name)].map { files[$0] }
    }

    /// Tensor `name` on `backend` (see `SafetensorsFile.tensor(_:on:)`).
    public func tensor(_ name: String, on backend: any Backend) throws -> Tensor {
        guard let file = file(containing: name) else {
            throw CheckpointError(file: indexPath ?? path, tensor: name, reason: "no such tensor in this checkpoint (it holds \(location.count))")
        }
        return try file.tensor(name, on: backend)
    }

    /// Bytes of tensor data in all files (headers excluded).
    public var totalBytes: Int {
        files.reduce(0) { sum, file in sum + file.tensors.reduce(0) { $0 + $1.byteCount } }
    }
}
