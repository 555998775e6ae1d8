import BantamCore

/// The real generator and model inspection for `bantam serve`.
///
/// Until BantamPipeline's FLUX pipeline is in this build, models are recognized with BantamIO's detection
/// and every job fails with a message that says so; `FluxImageGenerator` replaces this.
public enum ServerGeneratorFactory {
    public static func inspect(id: String, path: String) -> ModelEntry {
        DetectionInspector.inspect(id: id, path: path)
    }

    public static func make(backend: any Backend, version: String) -> any ImageGenerator {
        UnavailableGenerator()
    }
}

/// Fails every job: this build has no pipeline to run models with.
struct UnavailableGenerator: ImageGenerator {
    struct Unavailable: Error, CustomStringConvertible {
        var description: String { "this build of bantam cannot run models yet (the FLUX pipeline is not in it); try `bantam serve --fake-generator` to see the console work" }
    }
    func generate(_ request: ImageRequest, cancellation: CancellationFlag,
                  progress: @escaping @Sendable (GenerationProgress) -> Void) async throws -> GeneratedImage {
        throw Unavailable()
    }
}
