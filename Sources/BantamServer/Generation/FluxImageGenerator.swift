import BantamCore
import BantamNN
import BantamPipeline
import NIOConcurrencyHelpers
import NIOPosix

/// Makes images with BantamPipeline's FLUX.1 pipeline.
///
/// Each device gets a thread of its own (the pipeline computes synchronously; the server's event loops and
/// Swift's cooperative threads must stay free) and keeps its last-loaded model: consecutive jobs on the
/// same model and precision reuse it, another one replaces it. Cancellation is checked after every step
/// (the pipeline stops when the progress callback throws). Previews come from `LatentPreview`, fitted to the
/// model's autoencoder when it loads.
public final class FluxImageGenerator: ImageGenerator {
    private struct Loaded {
        let modelPath: String
        let precision: ComputePrecision
        let pipeline: FluxPipeline
        let preview: LatentPreview?
    }

    private let backend: @Sendable (ComputeDevice) -> any Backend
    private let version: String
    private let previews: Bool
    private let loaded = NIOLockedValueBox([String: Loaded]())
    private let threads = NIOLockedValueBox([String: NIOThreadPool]())

    /// `backend` gives the backend of each worker's device; `version` names the program in the PNGs.
    public init(version: String, previews: Bool = true, backend: @escaping @Sendable (ComputeDevice) -> any Backend) {
        self.backend = backend
        self.version = version
        self.previews = previews
    }

    deinit {
        for pool in threads.withLockedValue({ Array($0.values) }) { pool.shutdownGracefully { _ in } }
    }

    public func generate(_ request: ImageRequest, cancellation: CancellationFlag,
                         progress: @escaping @Sendable (GenerationProgress) -> Void) async throws -> GeneratedImage {
        let pool = thread(for: request.device)
        return try await pool.runIfActive { try self.generateNow(request, cancellation: cancellation, progress: progress) }
    }

    private func thread(for device: ComputeDevice) -> NIOThreadPool {
        threads.withLockedValue { pools in
            if let pool = pools[device.id] { return pool }
            let pool = NIOThreadPool(numberOfThreads: 1)
            pool.start()
            pools[device.id] = pool
            return pool
        }
    }

    /// Runs on the device's thread.
    private func generateNow(_ request: ImageRequest, cancellation: CancellationFlag,
                             progress: @escaping @Sendable (GenerationProgress) -> Void) throws -> GeneratedImage {
        let clock = ContinuousClock(), start = clock.now
        let p = request.parameters
        let model = try load(request, progress: progress)
        try cancellation.check()
        progress(GenerationProgress(phase: .encoding, step: 0, steps: p.steps))

        let pipeline = model.pipeline
        let usesCFG = p.cfgScale > 1
        let generation = GenerationRequest(prompt: p.prompt, negativePrompt: usesCFG ? p.negativePrompt : nil,
                                           width: p.width, height: p.height, steps: p.steps, guidance: Float(p.guidance),
                                           trueCFG: Float(p.cfgScale), seed: request.seed)
        let every = max(1, p.steps / 8)
        let (h, w) = (p.height / pipeline.downsampleFactor, p.width / pipeline.downsampleFactor)
        let result = try pipeline.generate(generation) { step in
            try cancellation.check()
            var preview: RGBImage?
            if let projection = model.preview, step.step % every == 0, step.step < step.steps {
                preview = try? projection.image(latents: step.latents, velocity: step.velocity, sigma: step.sigma,
                                                height: h, width: w).downscaled(maxSide: 256)
            }
            progress(GenerationProgress(phase: step.step == step.steps ? .decoding : .denoising, step: step.step,
                                        steps: step.steps, secondsPerStep: step.meanStepSeconds,
                                        etaSeconds: step.etaSeconds, preview: preview))
        }
        let device = "\(pipeline.backend.name) (\(request.device.name))"
        let text = GenerationMetadata.pngText(result, files: pipeline.files, guidanceDistilled: pipeline.isGuidanceDistilled,
                                              device: device, version: version)
        let elapsed = clock.now - start
        return GeneratedImage(image: RGBImage(width: result.width, height: result.height, pixels: result.rgb),
                              pngText: text.map { PNGText($0.0, $0.1) },
                              seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }

    /// The device's pipeline for the request's model and precision, loading it (and dropping the previous
    /// one first, so two models never share memory) when it differs.
    private func load(_ request: ImageRequest, progress: @Sendable (GenerationProgress) -> Void) throws -> Loaded {
        let key = request.device.id
        let path = request.model.path, precision = request.parameters.precision
        if let current = loaded.withLockedValue({ $0[key] }), current.modelPath == path, current.precision == precision {
            return current
        }
        progress(GenerationProgress(phase: .loading, step: 0, steps: request.parameters.steps))
        loaded.withLockedValue { $0[key] = nil }
        let files = try FluxModelFiles.resolve(model: path)
        let backend = backend(request.device)
        let pipeline = try FluxPipeline(files: files, backend: backend, precision: Self.loadPrecision(precision))
        let preview = previews ? try? LatentPreview.fit(autoencoder: pipeline.autoencoder, backend: backend) : nil
        let entry = Loaded(modelPath: path, precision: precision, pipeline: pipeline, preview: preview)
        loaded.withLockedValue { $0[key] = entry }
        return entry
    }

    static func loadPrecision(_ precision: ComputePrecision) -> LoadPrecision {
        switch precision {
        case .stored: return .asStored
        case .bf16: return LoadPrecision(compute: .bf16)
        case .f16: return LoadPrecision(compute: .f16)
        case .f32: return LoadPrecision(compute: .f32)
        }
    }
}
