import BantamJSON
/// A sharded checkpoint's `*.safetensors.index.json`: `{"metadata": {...}, "weight_map": {name: shard}}`.
///
/// Parsed strictly (duplicate names in `weight_map` are errors) and checked for safety: a shard path must
/// be a relative path inside the index's folder — no absolute paths, no `..` components, no NUL bytes —
/// so an index cannot make the loader open files elsewhere. (Symbolic links inside the folder are followed,
/// as Hugging Face caches link every file to a blob store.)
struct ShardIndex {
    let path: String
    /// The folder holding the index; shard paths are relative to it.
    let folder: String
    /// Tensor name → shard path relative to `folder`, in file order.
    let weightMap: [(tensor: String, shard: String)]
    /// Distinct shard paths, sorted by bytes.
    let shards: [String]

    init(path: String) throws {
        self.path = path
        self.folder = FileSystem.directoryName(path)
        let file = try MappedFile(path: path)
        let root: JSONValue
        do {
            root = try JSONParser.parse(file.bytes)
        } catch {
            if case .duplicateKey(let key) = error.kind, error.path == ["weight_map"] {
                throw CheckpointError(file: path, tensor: key, reason: "appears twice in weight_map")
            }
            throw CheckpointError(file: path, reason: "not valid JSON: \(error)")
        }
        guard let object = root.objectValue else {
            throw CheckpointError(file: path, reason: "the index is \(root.typeName); expected an object with a \"weight_map\"")
        }
        guard let mapValue = object["weight_map"] else {
            throw CheckpointError(file: path, reason: "the index has no \"weight_map\" (expected {\"weight_map\": {tensor: shard file}})")
        }
        guard let map = mapValue.objectValue else {
            throw CheckpointError(file: path, reason: "\"weight_map\" is \(mapValue.typeName); expected an object of tensor name → shard file")
        }
        if let metadata = object["metadata"], metadata != .null, metadata.objectValue == nil {
            throw CheckpointError(file: path, reason: "\"metadata\" is \(metadata.typeName); expected an object")
        }
        var weightMap: [(tensor: String, shard: String)] = []
        weightMap.reserveCapacity(map.count)
        var shards = Set<ExactKey>()
        for (tensor, value) in map.entries {
            guard let shard = value.stringValue else {
                throw CheckpointError(file: path, tensor: tensor, reason: "its weight_map entry is \(value.brief); expected a shard file name")
            }
            if let problem = Self.unsafeReason(shard) {
                throw CheckpointError(file: path, tensor: tensor,
                                      reason: "shard path \"\(CheckpointError.printable(shard))\" \(problem); shards must be files inside the index's folder")
            }
            weightMap.append((tensor, shard))
            shards.insert(ExactKey(shard))
        }
        self.weightMap = weightMap
        self.shards = shards.map(\.string).sorted { $0.utf8Precedes($1) }
    }

    /// Why a shard path could leave the index's folder, or nil when it is a plain relative path.
    static func unsafeReason(_ shard: String) -> String? {
        if shard.isEmpty { return "is empty" }
        if shard.utf8.contains(0) { return "contains a NUL byte" }
        if shard.hasPrefix("/") { return "is absolute" }
        if shard.split(separator: "/", omittingEmptySubsequences: false).contains("..") { return "contains '..'" }
        return nil
    }
}
