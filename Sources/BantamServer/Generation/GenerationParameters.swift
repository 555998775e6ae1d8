import BantamJSON

/// Precision the model's weights compute in: as stored in its files, or converted on load.
public enum ComputePrecision: String, Sendable, CaseIterable {
    case stored, bf16, f16, f32
}

/// Everything a job asks for, already validated (see `ParameterRules`). Stored with the job, shown in the
/// gallery, and sent back to the console's form by "reuse parameters".
public struct GenerationParameters: Sendable, Equatable {
    public var prompt: String
    /// Used when `cfgScale` is above 1 (true classifier-free guidance, a second pass per step).
    public var negativePrompt: String
    /// The seed of the first image; image `i` of a batch uses `seed + i`. Random seeds are drawn when the
    /// job is submitted, so the history always holds the seed that made each image.
    public var seed: UInt64
    public var steps: Int
    /// FLUX.1-dev's distilled guidance (the transformer's guidance input); ignored by schnell.
    public var guidance: Double
    /// True CFG scale; 1 = off.
    public var cfgScale: Double
    public var width: Int
    public var height: Int
    /// A model id from the catalog (the file or folder name under --models).
    public var model: String
    public var precision: ComputePrecision
    /// GPU memory the job may use, in GiB; nil = decide automatically. The CPU backend ignores it.
    public var vramBudgetGB: Double?
    /// Images made one after another with consecutive seeds.
    public var batchCount: Int

    public init(prompt: String, negativePrompt: String = "", seed: UInt64 = 0, steps: Int = 20, guidance: Double = 3.5,
                cfgScale: Double = 1, width: Int = 512, height: Int = 512, model: String, precision: ComputePrecision = .stored,
                vramBudgetGB: Double? = nil, batchCount: Int = 1) {
        self.prompt = prompt
        self.negativePrompt = negativePrompt
        self.seed = seed
        self.steps = steps
        self.guidance = guidance
        self.cfgScale = cfgScale
        self.width = width
        self.height = height
        self.model = model
        self.precision = precision
        self.vramBudgetGB = vramBudgetGB
        self.batchCount = batchCount
    }

    /// The API's (and the history's) form.
    public var json: JSONOut {
        [
            "prompt": .string(prompt), "negative_prompt": .string(negativePrompt), "seed": .int(Int(clamping: seed)),
            "steps": .int(steps), "guidance": .double(guidance), "cfg_scale": .double(cfgScale),
            "width": .int(width), "height": .int(height), "model": .string(model),
            "precision": .string(precision.rawValue), "vram_budget_gb": .optional(vramBudgetGB),
            "batch_count": .int(batchCount),
        ]
    }

    /// Reads the stored form back (the history's own JSON; missing members take their defaults).
    public init(stored object: JSONObject) {
        func string(_ k: String) -> String? { object[k]?.stringValue }
        func int(_ k: String) -> Int? { object[k]?.integerValue }
        func double(_ k: String) -> Double? { object[k]?.doubleValue }
        self.init(prompt: string("prompt") ?? "", negativePrompt: string("negative_prompt") ?? "",
                  seed: UInt64(max(0, int("seed") ?? 0)), steps: int("steps") ?? 20, guidance: double("guidance") ?? 3.5,
                  cfgScale: double("cfg_scale") ?? 1, width: int("width") ?? 512, height: int("height") ?? 512,
                  model: string("model") ?? "", precision: string("precision").flatMap(ComputePrecision.init) ?? .stored,
                  vramBudgetGB: double("vram_budget_gb"), batchCount: int("batch_count") ?? 1)
    }
}

/// The bounds every request is checked against, in one place so that the console, the native API, the
/// A1111 routes and the OpenAPI document agree.
public enum ParameterRules {
    public static let steps = 1...50
    public static let defaultSteps = 20
    public static let guidance = 0.0...30.0
    public static let cfgScale = 1.0...30.0
    /// Image sides: multiples of 16 (FLUX packs 2×2 latents of an 8× autoencoder) in this range.
    public static let side = 16...2048
    public static let sideMultiple = 16
    /// Seeds the browser can hold exactly (2^53 − 1); -1 asks for a random one.
    public static let seed: ClosedRange<Int> = 0...9_007_199_254_740_991
    public static let batchCount = 1...16
    public static let vramBudgetGB = 0.5...1024.0
    /// Unicode characters (not bytes) in a prompt or negative prompt.
    public static let promptCharacters = 4000

    /// A random seed below 2^32 (the range other UIs use, so it can be typed into them).
    public static func randomSeed() -> UInt64 {
        var generator = SystemRandomNumberGenerator()
        return UInt64(generator.next() as UInt32)
    }
}
