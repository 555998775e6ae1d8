import BantamPipeline

/// Decides whether one entry of the models folder is a FLUX.1 model the server can run: BantamPipeline's
/// `FluxModelFiles.resolve` (headers only) must find every part — transformer, both text encoders, the
/// autoencoder and the tokenizers. Its one-line error becomes the entry's problem otherwise.
public enum FluxModelInspector {
    public static func inspect(id: String, path: String) -> ModelEntry {
        do {
            let files = try FluxModelFiles.resolve(model: path)
            let dev = files.isGuidanceDistilled
            return ModelEntry(id: id, path: path, summary: files.transformer.detected.summary, guidanceDistilled: dev,
                              suggestedSteps: dev ? 28 : 4)
        } catch {
            return ModelEntry(id: id, path: path, summary: "not a complete FLUX.1 model",
                              problem: String(describing: error).split(whereSeparator: \.isNewline).joined(separator: "; "))
        }
    }
}
