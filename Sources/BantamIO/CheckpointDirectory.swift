/// A model folder (diffusers layout: transformer/, text_encoder/, text_encoder_2/, vae/ ...): each
/// subfolder (or the folder itself) holding safetensors becomes a component.
public struct CheckpointDirectory: Sendable {
    /// The components of `path`, sorted by name: "." for safetensors directly in the folder (listed
    /// first), then each immediate subfolder holding a single file or a sharded index (subfolders without
    /// any, like scheduler/ or tokenizer/, are skipped; hidden ones too). Given a file, the one component
    /// is named after the file without its extension. Throws when nothing is found, or when a component
    /// is ambiguous or invalid (the error names the file and tensor).
    public static func scan(_ path: String) throws -> [(component: String, checkpoint: Checkpoint)] {
        switch FileSystem.kind(of: path) {
        case .missing:
            throw CheckpointError(file: path, reason: "no such file or folder")
        case .other:
            throw CheckpointError(file: path, reason: "is not a regular file or a folder")
        case .file:
            var stem = FileSystem.baseName(path)
            for suffix in [CheckpointLocator.indexSuffix, ".safetensors", ".json"] where stem.hasSuffix(suffix) {
                stem = String(stem.dropLast(suffix.count))
                break
            }
            return [(stem, try Checkpoint(path: path))]
        case .directory:
            var components: [(component: String, checkpoint: Checkpoint)] = []
            if hasCheckpoint(path) { components.append((".", try Checkpoint(path: path))) }
            guard let names = FileSystem.contents(of: path) else {
                throw CheckpointError(file: path, reason: "cannot list the folder")
            }
            for name in names where !name.hasPrefix(".") {
                let sub = FileSystem.join(path, name)
                guard FileSystem.kind(of: sub) == .directory, hasCheckpoint(sub) else { continue }
                components.append((name, try Checkpoint(path: sub)))
            }
            guard !components.isEmpty else {
                throw CheckpointError(file: path, reason: "holds no .safetensors files, neither directly nor in its subfolders")
            }
            return components
        }
    }

    private static func hasCheckpoint(_ folder: String) -> Bool {
        let found = CheckpointLocator.candidates(in: folder)
        return !found.indexes.isEmpty || !found.files.isEmpty
    }
}
