import ArgumentParser
import BantamCore
import BantamCPU
import BantamNN
import BantamPipeline

/// `bantam generate`: a FLUX.1 image from a text prompt, written as a PNG that carries its settings.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Make an image from a text prompt with a FLUX.1 model (dev, schnell, fine-tunes).",
        discussion: """
            --model is a diffusers FLUX folder, a ComfyUI all-in-one file, or a FLUX transformer file \
            (BFL layout, e.g. flux1-dev.safetensors or a fine-tune) given with --clip, --t5 and --vae. The \
            tokenizers are found next to the files (tokenizer/ and tokenizer_2/ folders, as in the diffusers \
            repository) or given with --tokenizers. The same seed gives the same initial noise as diffusers \
            and ComfyUI with a CPU generator. The PNG's "parameters" text is the A1111/Forge format; a \
            "bantam" text holds the full settings and timings. Runs on the CPU in this build.
            """
    )

    @Option(name: .long, help: "Diffusers folder, ComfyUI all-in-one file, or FLUX transformer file.") var model: String
    @Option(name: .long, help: "CLIP-L text encoder (file or diffusers text_encoder folder).") var clip: String?
    @Option(name: .long, help: "T5-XXL encoder (file or diffusers text_encoder_2 folder).") var t5: String?
    @Option(name: .long, help: "FLUX autoencoder (ae.safetensors or diffusers vae folder).") var vae: String?
    @Option(name: .long, help: "Folder with the tokenizers (tokenizer/ and tokenizer_2/).") var tokenizers: String?
    @Option(name: .long, help: ArgumentHelp("A diffusers FLUX folder whose config.json files apply (models that differ from FLUX.1).", visibility: .hidden))
    var configs: String?

    @Option(name: .long, help: "What to draw.") var prompt: String
    @Option(name: .long, help: "What to avoid; used with --true-cfg above 1.") var negativePrompt: String?
    @Option(name: .long, help: "Seed of the initial noise; -1 picks one (it is printed and stored in the PNG).")
    var seed: String = "-1"
    @Option(name: .long, help: "Denoising steps (default: 28 for dev, 4 for schnell).") var steps: Int?
    @Option(name: .long, help: "Distilled guidance of FLUX.1-dev (ignored by schnell).") var guidance: Float = 3.5
    @Option(name: .long, help: "True CFG scale: above 1 with --negative-prompt runs a second pass per step.")
    var trueCFG: Float = 1
    @Option(name: .long, help: "Image width in pixels (a multiple of 16).") var width = 1024
    @Option(name: .long, help: "Image height in pixels (a multiple of 16).") var height = 1024
    @Option(name: .long, help: "T5 tokens the prompt is padded to (default: 512 for dev, 256 for schnell).")
    var t5Length: Int?
    @Option(name: .long, help: "Initial noise from a .safetensors file ([1, 16, H/8, W/8]) instead of the seed.")
    var noise: String?
    @Option(name: .long, help: "Compute precision: stored (as in the files), bf16, f16 or f32.") var precision = "stored"
    @Option(name: .long, help: "Where to write the PNG (default: flux-<seed>.png).") var out: String?
    @OptionGroup var threadOptions: ThreadOptions

    func validate() throws {
        for (name, value) in [("--width", width), ("--height", height)] where value < 16 || value % 16 != 0 || value > 16384 {
            let lower = max(16, value / 16 * 16)
            throw ValidationError("\(name) \(value) is not a multiple of 16 between 16 and 16384; use \(lower) or \(lower + 16)")
        }
        if let steps, !(1...10_000).contains(steps) { throw ValidationError("--steps must be at least 1, got \(steps)") }
        if let t5Length, !(1...512).contains(t5Length) { throw ValidationError("--t5-length must be in 1...512, got \(t5Length)") }
        guard guidance.isFinite else { throw ValidationError("--guidance must be a number, got \(guidance)") }
        guard trueCFG.isFinite, trueCFG >= 0 else { throw ValidationError("--true-cfg must be a number ≥ 0, got \(trueCFG)") }
        _ = try parsedSeed()
        _ = try parsedPrecision()
    }

    /// nil for -1 (random), else the seed.
    func parsedSeed() throws -> UInt64? {
        if seed == "-1" { return nil }
        guard let value = UInt64(seed) else {
            throw ValidationError("--seed must be -1 (random) or a whole number from 0 to 18446744073709551615, got '\(seed)'")
        }
        return value
    }

    func parsedPrecision() throws -> LoadPrecision {
        switch precision.lowercased() {
        case "stored": return .asStored
        case "bf16": return LoadPrecision(compute: .bf16)
        case "f16", "fp16": return LoadPrecision(compute: .f16)
        case "f32", "fp32": return LoadPrecision(compute: .f32)
        default: throw ValidationError("--precision must be stored, bf16, f16 or f32, got '\(precision)'")
        }
    }

    func run() throws {
        let console = Console.output, progressOutput = Console.errors
        do {
            let seedValue = try parsedSeed() ?? TorchGenerator.randomSeed()
            let path = out ?? "flux-\(seedValue).png"
            // 1. Find and load the model.
            let files = try FluxModelFiles.resolve(model: model, clip: clip, t5: t5, vae: vae, tokenizers: tokenizers,
                                                   configs: configs)
            console.line("Model: \(files.transformer.detected.summary) from \(files.transformer.path)")
            let backend = threadOptions.backend
            let pipeline = try FluxPipeline(files: files, backend: backend, precision: try parsedPrecision())
            console.line("Loaded in \(Format.seconds(pipeline.loadSeconds)) (\(backend.name), \(backend.threads) threads, \(pipeline.computeDType))")
            // 2. The request.
            var request = GenerationRequest(prompt: prompt, negativePrompt: negativePrompt, width: width, height: height,
                                            steps: steps, guidance: guidance, trueCFG: trueCFG, seed: seedValue, t5Length: t5Length)
            if let noise {
                let f = pipeline.downsampleFactor
                request.noise = try NoiseFile.load(noise, channels: pipeline.autoencoder.config.latentChannels,
                                                   height: height / f, width: width / f)
                request.noiseSource = noise
            }
            if negativePrompt != nil && !request.usesTrueCFG {
                console.line("Note: --negative-prompt is used only with --true-cfg above 1.")
            }
            console.line("Seed \(seedValue), \(width)x\(height), \(request.steps ?? pipeline.defaultSteps) steps"
                         + (pipeline.isGuidanceDistilled ? ", guidance \(A1111Parameters.number(guidance))" : "")
                         + (request.usesTrueCFG ? ", true CFG \(A1111Parameters.number(trueCFG))" : ""))
            // 3. Generate, reporting each step.
            let result = try pipeline.generate(request) { p in
                let eta = p.step == p.steps ? "done" : "ETA \(Format.seconds(p.etaSeconds))"
                progressOutput.line("step \(p.step)/\(p.steps)  \(Format.seconds(p.meanStepSeconds))/step  \(eta)")
            }
            // 4. The PNG, written atomically.
            let text = GenerationMetadata.pngText(result, files: files, guidanceDistilled: pipeline.isGuidanceDistilled,
                                                  device: "\(backend.name) (\(backend.threads) threads)", version: "bantam \(BantamVersion.current)")
            try AtomicFile.write(PNGEncoder.encode(rgb: result.rgb, width: result.width, height: result.height, text: text), to: path)
            let t = result.timings
            console.line("Wrote \(path) (encode \(Format.seconds(t.encode)), denoise \(Format.seconds(t.denoise)), decode \(Format.seconds(t.decode)))")
        } catch let error as CLIError {
            throw error
        } catch {
            throw CLIError(String(describing: error))
        }
    }
}
