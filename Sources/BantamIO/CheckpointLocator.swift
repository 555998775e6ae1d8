/// Decides what a path given by the user refers to: one .safetensors file or a sharded index.
enum CheckpointLocator {
    enum Target: Equatable {
        case single(String)
        case sharded(index: String)
    }

    static let indexSuffix = ".safetensors.index.json"

    /// A file is taken as it is (an index when it ends in ".json"); a folder must hold exactly one
    /// `*.safetensors.index.json`, or else exactly one `*.safetensors`.
    static func resolve(_ path: String) throws -> Target {
        switch FileSystem.kind(of: path) {
        case .missing:
            throw CheckpointError(file: path, reason: "no such file or folder")
        case .other:
            throw CheckpointError(file: path, reason: "is not a regular file or a folder")
        case .file:
            return path.hasSuffix(".json") ? .sharded(index: path) : .single(path)
        case .directory:
            let found = candidates(in: path)
            if found.indexes.count == 1 { return .sharded(index: FileSystem.join(path, found.indexes[0])) }
            if found.indexes.count > 1 {
                throw CheckpointError(file: path, reason: "holds several sharded indexes (\(list(found.indexes))); pass the one to load")
            }
            if found.files.count == 1 { return .single(FileSystem.join(path, found.files[0])) }
            if found.files.isEmpty {
                throw CheckpointError(file: path, reason: "holds no .safetensors file and no \(indexSuffix)")
            }
            throw CheckpointError(file: path, reason: "holds several .safetensors files and no index (\(list(found.files))); pass one file")
        }
    }

    /// The index files and the .safetensors files directly inside `folder` (regular files or links to
    /// them), sorted by name; hidden files are skipped.
    static func candidates(in folder: String) -> (indexes: [String], files: [String]) {
        var indexes: [String] = []
        var files: [String] = []
        for name in FileSystem.contents(of: folder) ?? [] where !name.hasPrefix(".") {
            let isIndex = name.hasSuffix(indexSuffix)
            let isFile = name.hasSuffix(".safetensors")
            guard isIndex || isFile, FileSystem.kind(of: FileSystem.join(folder, name)) == .file else { continue }
            if isIndex { indexes.append(name) } else { files.append(name) }
        }
        return (indexes, files)
    }

    private static func list(_ names: [String]) -> String {
        let shown = names.prefix(4).joined(separator: ", ")
        return names.count > 4 ? shown + ", … \(names.count) in all" : shown
    }
}
