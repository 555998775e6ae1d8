import BantamCore

/// What to generate. Defaults follow diffusers' FluxPipeline: 28 steps for dev (4 for schnell),
/// guidance 3.5, T5 padded to 512 tokens for dev (256 for schnell), no true CFG.
public struct GenerationRequest: Sendable {
    public var prompt: String
    /// Used only with `trueCFG > 1` (a second transformer pass per step).
    public var negativePrompt: String?
    /// Image size in pixels; multiples of 16 for FLUX.1 (twice the autoencoder's downsampling).
    public var width: Int
    public var height: Int
    /// nil: 28 (guidance-distilled dev) or 4 (schnell).
    public var steps: Int?
    /// FLUX.1-dev's distilled guidance (the transformer's `guidance` input); ignored by schnell.
    public var guidance: Float
    /// True classifier-free guidance scale (diffusers' `true_cfg_scale`): above 1 with a negative prompt,
    /// each step runs the transformer twice and takes `v_neg + scale·(v_pos − v_neg)`.
    public var trueCFG: Float
    /// Seed of the torch-compatible CPU generator that draws the initial noise.
    public var seed: UInt64
    /// nil: 512 (dev) or 256 (schnell) T5 tokens.
    public var t5Length: Int?
    /// Initial noise [latent channels × H/f × W/f] (unpacked, row-major) instead of the seeded draw, e.g.
    /// from `--noise FILE.safetensors`; `noiseSource` names it in the image's metadata.
    public var noise: [Float]?
    public var noiseSource: String?

    public init(prompt: String, negativePrompt: String? = nil, width: Int = 1024, height: Int = 1024, steps: Int? = nil,
                guidance: Float = 3.5, trueCFG: Float = 1, seed: UInt64 = 0, t5Length: Int? = nil,
                noise: [Float]? = nil, noiseSource: String? = nil) {
        self.prompt = prompt
        self.negativePrompt = negativePrompt
        self.width = width
        self.height = height
        self.steps = steps
        self.guidance = guidance
        self.trueCFG = trueCFG
        self.seed = seed
        self.t5Length = t5Length
        self.noise = noise
        self.noiseSource = noiseSource
    }

    /// Whether each step makes a second, negative-prompt pass.
    public var usesTrueCFG: Bool { trueCFG > 1 && negativePrompt != nil }
}

/// Reported after each denoising step.
public struct StepProgress: Sendable {
    /// 1-based step just finished, of `steps`.
    public let step: Int
    public let steps: Int
    /// Seconds the step took, and the mean over the steps so far.
    public let stepSeconds: Double
    public let meanStepSeconds: Double
    /// Seconds since denoising started, and the estimate of what is left.
    public let elapsedSeconds: Double
    public let etaSeconds: Double
    /// The packed latents after this step [1, L, 4C] (f32), the guided velocity of the step (same shape)
    /// and the noise level they are at: `latents − sigma · velocity` estimates the clean latents, which is
    /// what live previews show.
    public let latents: Tensor
    public let velocity: Tensor
    public let sigma: Float

    public init(step: Int, steps: Int, stepSeconds: Double, meanStepSeconds: Double, elapsedSeconds: Double,
                etaSeconds: Double, latents: Tensor, velocity: Tensor, sigma: Float) {
        self.step = step
        self.steps = steps
        self.stepSeconds = stepSeconds
        self.meanStepSeconds = meanStepSeconds
        self.elapsedSeconds = elapsedSeconds
        self.etaSeconds = etaSeconds
        self.latents = latents
        self.velocity = velocity
        self.sigma = sigma
    }
}

/// Seconds spent in each phase.
public struct GenerationTimings: Sendable, Equatable {
    public var load: Double = 0
    public var encode: Double = 0
    public var denoise: Double = 0
    public var decode: Double = 0
    public var total: Double { load + encode + denoise + decode }
    public init() {}
}

/// A generated image and what made it.
public struct GenerationResult: Sendable {
    public let request: GenerationRequest
    /// The steps actually run and the T5 length used (the request's or the default).
    public let steps: Int
    public let t5Length: Int
    public let width: Int
    public let height: Int
    /// Pixels in [0, 1], row-major HWC (`(x/2 + 0.5).clamp(0, 1)` of the decoded image, as diffusers).
    public let pixels: [Float]
    /// 8-bit RGB, row-major (`round(pixels · 255)`, half to even, as diffusers' numpy path).
    public let rgb: [UInt8]
    /// The final packed latents [1, L, 4C] (f32), before unpacking and decoding.
    public let latents: Tensor
    public var timings: GenerationTimings
}
