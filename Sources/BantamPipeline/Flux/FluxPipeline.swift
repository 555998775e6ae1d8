import BantamCore
import BantamNN
import BantamQuant
import BantamIO
import BantamModels
import BantamTokenizers

/// FLUX.1 text to image (dev and schnell, and fine-tunes of them), as diffusers' FluxPipeline computes it:
/// CLIP-L pooled and T5 sequence conditioning, torch-compatible initial noise, flow-matching Euler steps on
/// packed latents (with optional true CFG), autoencoder decode, pixels.
///
/// All models are loaded by `init` (strictly: every tensor of every part must be used and fit) and stay
/// loaded, so several images can be made with one pipeline.
public final class FluxPipeline: @unchecked Sendable {
    public let files: FluxModelFiles
    public let backend: any Backend
    public let clipTokenizer: CLIPTokenizer
    public let t5Tokenizer: T5Tokenizer
    public let clip: CLIPTextModel
    public let t5: T5Encoder
    public let transformer: FluxTransformer
    public let autoencoder: FluxAutoencoder
    /// The dtype the transformer runs in (its weights', bf16 for FP8/NF4-stored weights unless asked otherwise).
    public let computeDType: DType
    /// The transformer's Linear weights per storage format, e.g. "76 nf4, 8 bf16" (what the run computes with).
    public let transformerFormats: String
    /// Seconds `init` took to load everything.
    public let loadSeconds: Double

    /// Loads every part of `files` onto `backend`, all in `precision`.
    public convenience init(files: FluxModelFiles, backend: any Backend, precision: LoadPrecision = .asStored) throws {
        try self.init(files: files, backend: backend, precisionOf: { _ in precision })
    }

    /// Loads every part of `files` onto `backend`, each in its part of `policy` (e.g. `transformer=nf4,t5=fp8`
    /// quantizes those Linear weights on load, tensor by tensor, keeping the family's exempt layers as
    /// stored); other parameters take `compute`, else the component's float format, else their stored dtype.
    public convenience init(files: FluxModelFiles, backend: any Backend, policy: PrecisionPolicy, compute: DType? = nil) throws {
        try self.init(files: files, backend: backend, precisionOf: { LoadPrecision(policy, component: $0, compute: compute) })
    }

    private init(files: FluxModelFiles, backend: any Backend, precisionOf: (ModelComponent) -> LoadPrecision) throws {
        let start = Clock.now()
        self.files = files
        self.backend = backend
        // 1. Tokenizers.
        clipTokenizer = try CLIPTokenizer.load(directory: files.clipTokenizer)
        t5Tokenizer = try T5Tokenizer.load(directory: files.t5Tokenizer)
        // 2. Text encoders (a diffusers config.json says what shapes cannot: heads, activation).
        let clipConfig = try files.configs.clip.map { try CLIPTextConfig.load(configFile: $0).matching(files.clip.source) }
        clip = try CLIPTextModel.load(from: files.clip.source, config: clipConfig, backend: backend, precision: precisionOf(.clip))
        let t5Config = try files.configs.t5.map { try T5EncoderConfig.load(configFile: $0) }
        t5 = try T5Encoder.load(from: files.t5.source, config: t5Config, backend: backend, precision: precisionOf(.t5))
        // 3. Transformer (RoPE axes from the config when there is one; FLUX.1's otherwise).
        let layout: FluxLayout = files.transformer.detected.layout == .diffusers ? .diffusers : .bfl
        let axes = try files.configs.transformer.flatMap { try ConfigFile.integers("axes_dims_rope", inJSONFile: $0) }
        let config = try FluxTransformerConfig.infer(from: files.transformer.source, layout: layout, axesDim: axes)
        let precision = precisionOf(.transformer)
        let loader = WeightLoader(source: files.transformer.source, layout: layout.weightLayout, backend: backend,
                                  precision: precision)
        transformer = try FluxTransformer(config: config, loader: loader)
        try loader.finish()
        transformerFormats = loader.linearFormatSummary
        computeDType = FluxPipeline.computeDType(of: transformer.imgIn, precision: precision)
        // 4. Autoencoder (groups, scale and shift from a diffusers config when there is one).
        let aeLayout: AutoencoderLayout = files.vae.detected.layout == .diffusers ? .diffusers : .bfl
        let aeJSON = try files.configs.vae.map { try DiffusersAutoencoderConfig(contentsOf: $0) }
        let aeConfig = try AutoencoderConfig.infer(from: files.vae.source, layout: aeLayout, diffusersConfig: aeJSON)
        autoencoder = try FluxAutoencoder.load(from: files.vae.source, layout: aeLayout, config: aeConfig,
                                               backend: backend, precision: precisionOf(.vae))
        loadSeconds = Clock.now() - start
    }

    /// The dtype activations run in: the first layer's weight dtype when it is a float one; for a quantized
    /// first layer (FP8, or NF4 whose storage dtype u4 no activation can take) its bias's dtype, else the
    /// requested compute dtype, else bf16.
    static func computeDType(of firstLayer: Linear, precision: LoadPrecision) -> DType {
        let stored = firstLayer.weight.dtype
        if stored.isComputeFloat { return stored }
        if let bias = firstLayer.bias, bias.dtype.isComputeFloat { return bias.dtype }
        return precision.compute ?? .bf16
    }

    /// Whether the transformer takes a guidance value (FLUX.1-dev and its fine-tunes).
    public var isGuidanceDistilled: Bool { transformer.config.guidanceEmbed }
    /// Pixels per latent along each axis (8 for FLUX.1).
    public var downsampleFactor: Int { autoencoder.config.downsampleFactor }
    /// Image sizes must be multiples of this (a 2×2 patch of latents: 16 for FLUX.1).
    public var sizeMultiple: Int { 2 * downsampleFactor }
    public var defaultSteps: Int { isGuidanceDistilled ? 28 : 4 }
    public var defaultT5Length: Int { isGuidanceDistilled ? 512 : 256 }

    /// Makes one image. `progress` is called after every denoising step; an error it throws stops the
    /// generation and is rethrown (a server cancels jobs that way).
    public func generate(_ request: GenerationRequest, progress: (StepProgress) throws -> Void = { _ in }) throws -> GenerationResult {
        let steps = request.steps ?? defaultSteps
        let t5Length = request.t5Length ?? defaultT5Length
        try validate(request, steps: steps, t5Length: t5Length)
        var timings = GenerationTimings()
        timings.load = loadSeconds

        // 1. Text conditioning: CLIP pooled [1, pooled], T5 [1, L, context]; again for the negative prompt.
        var start = Clock.now()
        let positive = try encode(request.prompt, t5Length: t5Length)
        let negative = request.usesTrueCFG ? try encode(request.negativePrompt ?? "", t5Length: t5Length) : nil
        timings.encode = Clock.now() - start

        // 2. Initial noise [1, C, h, w] (f32, torch's stream for the seed, or given), packed to [1, L, 4C].
        start = Clock.now()
        let (h, w) = (request.height / downsampleFactor, request.width / downsampleFactor)
        let channels = autoencoder.config.latentChannels
        let noise: [Float]
        if let given = request.noise {
            guard given.count == channels * h * w else {
                throw PipelineError("the given noise has \(given.count) values; a \(request.width)×\(request.height) image needs \(channels)×\(h)×\(w) = \(channels * h * w)")
            }
            noise = given
        } else {
            var generator = TorchGenerator(seed: request.seed)
            noise = generator.randn(count: channels * h * w)
        }
        var latents = try LatentPacking.pack(try Tensor(noise, shape: [1, channels, h, w], on: backend))   // [1, L, 4C]
        let imageIDs = try LatentPacking.imageIDs(height: h, width: w, on: backend)                       // [L, 3]
        let textIDs = try LatentPacking.textIDs(length: t5Length, on: backend)                            // [Lt, 3]
        let guidance = isGuidanceDistilled ? try Tensor([request.guidance], shape: [1], on: backend) : nil

        // 3. Denoise: one Euler step per sigma, velocities from the transformer (twice with true CFG).
        let sigmas = FlowMatchSchedule.flux(steps: steps, imageTokens: latents.shape[1], shift: isGuidanceDistilled)
        for i in 0..<steps {
            let stepStart = Clock.now()
            let t = try Tensor([FlowMatchSchedule.modelTimestep(sigma: sigmas[i])], shape: [1], on: backend)
            let img = try latents.cast(to: computeDType)
            var velocity = try transformer(img: img, imgIds: imageIDs, txt: positive.sequence, txtIds: textIDs,
                                           timesteps: t, y: positive.pooled, guidance: guidance).cast(to: .f32)
            if let negative {
                let negativeVelocity = try transformer(img: img, imgIds: imageIDs, txt: negative.sequence, txtIds: textIDs,
                                                       timesteps: t, y: negative.pooled, guidance: guidance).cast(to: .f32)
                velocity = try FlowMatchEuler.trueCFG(positive: velocity, negative: negativeVelocity, scale: request.trueCFG)
            }
            latents = try FlowMatchEuler.step(latents, velocity: velocity, sigma: sigmas[i], nextSigma: sigmas[i + 1])
            try backend.synchronize()
            let now = Clock.now()
            let elapsed = now - start, mean = elapsed / Double(i + 1)
            try progress(StepProgress(step: i + 1, steps: steps, stepSeconds: now - stepStart, meanStepSeconds: mean,
                                      elapsedSeconds: elapsed, etaSeconds: mean * Double(steps - i - 1),
                                      latents: latents, velocity: velocity, sigma: sigmas[i + 1]))
        }
        timings.denoise = Clock.now() - start

        // 4. Decode: unpack, the autoencoder (it undoes the latent scale and shift), pixels.
        start = Clock.now()
        let image = try autoencoder.decode(try LatentPacking.unpack(latents, height: h, width: w))   // [1, 3, H, W]
        let pixels = try ImageConversion.pixels(image)
        timings.decode = Clock.now() - start
        return GenerationResult(request: request, steps: steps, t5Length: t5Length, width: request.width,
                                height: request.height, pixels: pixels, rgb: ImageConversion.rgb8(pixels),
                                latents: latents, timings: timings)
    }

    /// CLIP's pooled output and T5's hidden states for one prompt.
    public func encode(_ prompt: String, t5Length: Int) throws -> (pooled: Tensor, sequence: Tensor) {
        let clipIDs = clipTokenizer.encode(prompt, length: clip.config.maxPositions)
        let pooled = try clip(try Tensor(ints: clipIDs, shape: [1, clipIDs.count], on: backend),
                              endToken: clipTokenizer.endToken).pooled                            // [1, pooled]
        let t5IDs = t5Tokenizer.encode(prompt, length: t5Length)
        let sequence = try t5(try Tensor(ints: t5IDs, shape: [1, t5IDs.count], on: backend))     // [1, Lt, context]
        return (pooled, sequence)
    }

    private func validate(_ r: GenerationRequest, steps: Int, t5Length: Int) throws {
        let m = sizeMultiple
        for (name, value) in [("width", r.width), ("height", r.height)] where value < m || value % m != 0 {
            let lower = max(m, value / m * m)
            throw PipelineError("\(name) \(value) is not a multiple of \(m); use \(lower) or \(lower + m)")
        }
        guard steps >= 1 && steps <= 10_000 else { throw PipelineError("steps is \(steps); give at least 1") }
        guard t5Length >= 1 && t5Length <= 512 else {
            throw PipelineError("the T5 length is \(t5Length); it must be between 1 and 512")
        }
        guard r.guidance.isFinite, r.trueCFG.isFinite else {
            throw PipelineError("guidance \(r.guidance) and true CFG \(r.trueCFG) must be finite numbers")
        }
    }
}
