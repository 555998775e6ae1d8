import BantamIO

/// Inspects one entry of the models folder with BantamIO's detection (headers only): usable when it
/// holds a FLUX.1 transformer. The FLUX generator resolves the remaining parts when it loads the model.
public enum DetectionInspector {
    public static func inspect(id: String, path: String) -> ModelEntry {
        let components: [(component: String, checkpoint: Checkpoint)]
        do {
            components = try CheckpointDirectory.scan(path)
        } catch {
            return ModelEntry(id: id, path: path, summary: "unreadable", problem: "\(error)")
        }
        var kinds: [DetectedComponent] = []
        for (_, checkpoint) in components {
            let signatures = checkpoint.tensorNames.compactMap { name in
                checkpoint.info(name).map { TensorSignature(name: name, dtype: $0.dtype.rawValue, shape: $0.shape) }
            }
            kinds += ModelDetector.detect(signatures, metadata: checkpoint.metadata).components
        }
        guard let transformer = kinds.first(where: { $0.family == .flux1Dev || $0.family == .flux1Schnell }) else {
            let found = kinds.map(\.name).joined(separator: ", ")
            return ModelEntry(id: id, path: path, summary: found.isEmpty ? "nothing recognized" : found,
                              problem: "\(id) holds no FLUX.1 transformer (found: \(found.isEmpty ? "nothing recognized" : found)); only FLUX.1 models can be served in this build")
        }
        let dev = transformer.family == .flux1Dev
        return ModelEntry(id: id, path: path, summary: transformer.summary, guidanceDistilled: dev, suggestedSteps: dev ? 28 : 4)
    }
}
