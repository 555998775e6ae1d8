import ArgumentParser
import BantamCore
import BantamCPU
import BantamCUDA
import BantamIO
import BantamModels
import BantamNN
import BantamPipeline

/// `bantam bench flux`: one FLUX.1 transformer step (the denoising network's forward pass), timed, on a
/// synthetic full-size model (random weights, real names and shapes, made on the device) or on a
/// checkpoint; with `--inputs` it runs given inputs and reports the relative error against an `expected`
/// output in the same file (the diffusers parity check of scripts/peers/flux_step_parity.py).
struct BenchFluxCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flux",
        abstract: "Time one FLUX.1 transformer step (ms/step, TFLOP/s, peak memory); optional parity against saved outputs.",
        discussion: """
            Without --weights the model is synthetic: FLUX.1-dev (or schnell) at full size with random weights \
            made on the device, labeled synthetic in the report. --double and --single cut the depth (same \
            width). --inputs FILE.safetensors holds img [1, L, 64], img_ids [L, 3], txt [1, Lt, 4096], \
            txt_ids [Lt, 3], y [1, 768], timesteps [1], guidance [1] (dev) and optionally reference outputs [1, L, 64] \
            named expected*; the step's relative error against each is printed.
            """
    )

    @Option(name: .long, help: "synthetic model variant: dev or schnell (ignored with --weights).") var synthetic = "dev"
    @Option(name: .long, help: "A FLUX transformer checkpoint (BFL, diffusers or ComfyUI all-in-one) instead of a synthetic one.")
    var weights: String?
    @Option(name: .long, help: "RoPE axes of a checkpoint whose heads are not 128 wide (e.g. 4,6,6; default: FLUX.1's 16,56,56).")
    var axes: String?
    @Option(name: .long, help: "Double-stream blocks of the synthetic model (default 19).") var double: Int?
    @Option(name: .long, help: "Single-stream blocks of the synthetic model (default 38).") var single: Int?
    @Option(name: .long, help: "Compute dtype: bf16, f16 or f32 (default: bf16 for synthetic, the stored dtype for --weights).")
    var dtype: String?
    @Option(name: .long, help: "Image width in pixels.") var width = 1024
    @Option(name: .long, help: "Image height in pixels.") var height = 1024
    @Option(name: .long, help: "T5 tokens.") var textTokens = 512
    @Option(name: .long, help: "Untimed warm-up steps.") var warmup = 2
    @Option(name: .long, help: "Timed steps (the median is reported).") var iterations = 5
    @Option(name: .long, help: "Seed of the synthetic weights and inputs.") var seed: UInt64 = 0
    @Option(name: .long, help: "Inputs (and expected output) from a .safetensors file.") var inputs: String?
    @Option(name: .long, help: "Write the step's output to this .safetensors file (key \"output\").") var saveOutput: String?
    @Flag(name: .long, help: "Print one JSON object instead of text.") var json = false
    @OptionGroup var deviceOptions: DeviceOptions

    func validate() throws {
        guard ["dev", "schnell"].contains(synthetic) else { throw ValidationError("--synthetic must be dev or schnell") }
        guard width % 16 == 0, height % 16 == 0, width > 0, height > 0 else { throw ValidationError("--width and --height must be positive multiples of 16") }
        guard textTokens > 0, iterations > 0, warmup >= 0 else { throw ValidationError("--text-tokens and --iterations must be positive") }
        if let double, double < 0 { throw ValidationError("--double must be 0 or more") }
        if let single, single < 0 { throw ValidationError("--single must be 0 or more") }
        if let dtype { _ = try Self.parseDType(dtype) }
    }

    static func parseDType(_ text: String) throws -> DType {
        switch text.lowercased() {
        case "bf16", "bfloat16": return .bf16
        case "f16", "fp16", "float16": return .f16
        case "f32", "fp32", "float32": return .f32
        default: throw ValidationError("--dtype must be bf16, f16 or f32 (got '\(text)')")
        }
    }

    func run() throws {
        let out = Console.output
        let (backend, note) = try deviceOptions.backend()
        if let note, !json { out.line(note) }
        let cuda = backend as? CUDABackend
        let driverUsedBefore = try cuda.map { try $0.context.memoryInfo() }.map { $0.total - $0.free }

        // 1. The model.
        let loadStart = MonotonicClock.now()
        let (model, label, computeDType) = try loadModel(on: backend)
        try backend.synchronize()
        let loadSeconds = MonotonicClock.now() - loadStart
        let c = model.config
        if !json {
            out.line("model: \(label): \(c.doubleBlocks) double + \(c.singleBlocks) single blocks, hidden \(c.hidden), \(computeDType)")
            out.line("device: \(BackendDescription.of(backend)); loaded in \(ByteFormat.fixed(loadSeconds, 2)) s")
        }

        // 2. Inputs: from the file, or random at the requested size.
        let step = try inputs.map { try StepInputs.load($0, dtype: computeDType, on: backend) }
            ?? StepInputs.random(config: c, width: width, height: height, textTokens: textTokens, dtype: computeDType,
                                 seed: seed, on: backend)
        let (l, lt) = (step.img.shape[1], step.txt.shape[1])

        // 3. Warm-up, then timed steps (each synchronized: the time a sampler waits for).
        cuda?.allocator.resetPeaks()
        var output = try step.run(model)
        for _ in 0..<warmup { output = try step.run(model) }
        try backend.synchronize()
        var times: [Double] = [], enqueue: [Double] = []
        for _ in 0..<iterations {
            let start = MonotonicClock.now()
            output = try step.run(model)
            enqueue.append(MonotonicClock.now() - start)
            try backend.synchronize()
            times.append(MonotonicClock.now() - start)
        }
        times.sort()
        enqueue.sort()
        let hostMedian = enqueue[enqueue.count / 2]
        let median = times[times.count / 2]
        let flops = Self.stepFLOPs(config: c, imageTokens: l, textTokens: lt)

        // 4. Parity and output.
        let errors = try step.expected.map { ($0.key, try Self.relativeError(output, $0.tensor)) }
        let relativeError = errors.first { $0.0 == "expected" }?.1
        if let saveOutput {
            try SafetensorsWriter.write(to: saveOutput, tensors: [("output", try output.to(CPUBackend.shared))])
        }
        let stats = cuda?.allocator.statistics
        let driverUsedAfter = try cuda.map { try $0.context.memoryInfo() }.map { $0.total - $0.free }

        if json {
            var fields: [(String, JSON)] = [
                ("model", .string(label)), ("device", .string(BackendDescription.of(backend))),
                ("dtype", .string("\(computeDType)")), ("image_tokens", .int(l)), ("text_tokens", .int(lt)),
                ("load_s", .double(loadSeconds)), ("ms_per_step", .double(median * 1000)),
                ("ms_min", .double(times[0] * 1000)), ("host_enqueue_ms", .double(hostMedian * 1000)), ("tflops", .double(flops / median / 1e12)),
            ]
            if let stats { fields.append(("peak_allocated_bytes", .int(stats.peakAllocatedBytes))) }
            if let driverUsedAfter { fields.append(("driver_used_bytes", .int(driverUsedAfter))) }
            if let relativeError { fields.append(("relative_error", .double(relativeError))) }
            if !errors.isEmpty { fields.append(("relative_errors", .object(errors.map { ($0.0, .double($0.1)) }))) }
            out.line(JSON.object(fields).serialized(indent: nil))
            return
        }
        out.line("step: \(l) image + \(lt) text tokens; \(ByteFormat.fixed(flops / 1e12, 2)) TFLOP per step")
        out.line("time: median \(ByteFormat.fixed(median * 1000, 1)) ms/step (min \(ByteFormat.fixed(times[0] * 1000, 1)), "
                 + "max \(ByteFormat.fixed(times[times.count - 1] * 1000, 1)); \(iterations) steps after \(warmup) warm-up), "
                 + "\(ByteFormat.fixed(flops / median / 1e12, 1)) TFLOP/s; host: \(ByteFormat.fixed(hostMedian * 1000, 1)) ms to enqueue a step")
        if let stats {
            out.line("GPU memory: peak \(ByteFormat.bytes(stats.peakAllocatedBytes)) allocated, \(ByteFormat.bytes(stats.peakReservedBytes)) reserved; "
                     + "driver: \(ByteFormat.bytes(driverUsedAfter ?? 0)) used (\(ByteFormat.bytes(driverUsedBefore ?? 0)) before loading)")
        }
        for (key, error) in errors {
            out.line("parity: relative error against \(key) \(String(format6: error))")
        }
    }

    private func loadModel(on backend: any Backend) throws -> (FluxTransformer, String, DType) {
        if let weights {
            let checkpoint = try Checkpoint(path: weights)
            var source: any TensorSource = checkpoint
            if checkpoint.tensorNames.contains(where: { $0.hasPrefix(FluxLayout.comfyPrefix) }) {
                source = PrefixedTensorSource(checkpoint, prefix: FluxLayout.comfyPrefix)
            }
            let layout: FluxLayout = source.keys.contains(where: { $0.hasPrefix("transformer_blocks.") || $0.hasPrefix("x_embedder.") })
                ? .diffusers : .bfl
            let axesDim = try axes.map { text in
                let values = text.split(separator: ",").compactMap { Int($0) }
                guard !values.isEmpty, values.count == text.split(separator: ",").count else {
                    throw CLIError("--axes must be comma-separated integers such as 16,56,56 (got '\(text)')")
                }
                return values
            }
            let config = try FluxTransformerConfig.infer(from: source, layout: layout, axesDim: axesDim)
            let compute = try dtype.map(Self.parseDType)
            let loader = WeightLoader(source: source, layout: layout.weightLayout, backend: backend,
                                      precision: LoadPrecision(compute: compute))
            let model = try FluxTransformer(config: config, loader: loader)
            try loader.finish()
            let stored = model.imgIn.weight.dtype
            // A quantized first layer (FP8, or NF4 stored as u4) computes in bf16.
            return (model, "\(weights) (\(layout) layout)", compute ?? (stored.isComputeFloat ? stored : .bf16))
        }
        var config = FluxTransformerConfig.flux1(guidanceEmbed: synthetic == "dev")
        if let double { config.doubleBlocks = double }
        if let single { config.singleBlocks = single }
        let compute = try dtype.map(Self.parseDType) ?? .bf16
        let source = try SyntheticFluxWeights.make(config: config, dtype: compute, on: backend, seed: seed)
        let loader = WeightLoader(source: source, layout: FluxLayout.bfl.weightLayout, backend: backend,
                                  precision: LoadPrecision(compute: compute))
        let model = try FluxTransformer(config: config, loader: loader)
        try loader.finish()
        return (model, "synthetic FLUX.1-\(synthetic) (random weights)", compute)
    }

    static func stepFLOPs(config c: FluxTransformerConfig, imageTokens l: Int, textTokens lt: Int) -> Double {
        BenchFluxFLOPs.step(doubleBlocks: c.doubleBlocks, singleBlocks: c.singleBlocks, imageTokens: l, textTokens: lt,
                            hidden: c.hidden, mlpHidden: c.mlpHidden, inChannels: c.inChannels, outChannels: c.outChannels,
                            contextDim: c.contextDim)
    }

    static func relativeError(_ a: Tensor, _ b: Tensor) throws -> Double {
        guard a.shape == b.shape else {
            throw CLIError("the output has shape \(a.shape) but expected has \(b.shape)")
        }
        let (x, y) = (try a.floats(), try b.floats())
        var diff = 0.0, ref = 0.0
        for i in 0..<x.count {
            let d = Double(x[i]) - Double(y[i])
            diff += d * d
            ref += Double(y[i]) * Double(y[i])
        }
        return (diff / max(ref, .leastNormalMagnitude)).squareRoot()
    }
}

/// The inputs of one transformer step.
struct StepInputs {
    var img: Tensor, imgIds: Tensor, txt: Tensor, txtIds: Tensor, y: Tensor, timesteps: Tensor
    var guidance: Tensor?
    /// Reference outputs: every tensor of the inputs file whose name starts with "expected".
    var expected: [(key: String, tensor: Tensor)] = []

    func run(_ model: FluxTransformer) throws -> Tensor {
        try model(img: img, imgIds: imgIds, txt: txt, txtIds: txtIds, timesteps: timesteps, y: y,
                  guidance: model.config.guidanceEmbed ? guidance : nil)
    }

    static func random(config c: FluxTransformerConfig, width: Int, height: Int, textTokens: Int, dtype: DType,
                       seed: UInt64, on backend: any Backend) throws -> StepInputs {
        let (lh, lw) = (height / 8, width / 8)                  // latent size; packed 2x2
        let l = (lh / 2) * (lw / 2)
        func random(_ shape: Shape, _ salt: UInt64) throws -> Tensor {
            try Tensor(SyntheticFluxWeights.hostNormal(count: shape.count, seed: seed &+ salt), shape: shape, dtype: dtype, on: backend)
        }
        return StepInputs(img: try random([1, l, c.inChannels], 1),
                          imgIds: try LatentPacking.imageIDs(height: lh, width: lw, on: backend),
                          txt: try random([1, textTokens, c.contextDim], 2),
                          txtIds: try LatentPacking.textIDs(length: textTokens, on: backend),
                          y: try random([1, c.pooledDim], 3),
                          timesteps: try Tensor([0.5], shape: [1], on: backend),
                          guidance: try Tensor([3.5], shape: [1], on: backend))
    }

    static func load(_ path: String, dtype: DType, on backend: any Backend) throws -> StepInputs {
        let file = try Checkpoint(path: path)
        func tensor(_ key: String, cast: Bool = true) throws -> Tensor {
            guard file.info(key) != nil else {
                throw CLIError("\(path) has no tensor \"\(key)\" (needs img, img_ids, txt, txt_ids, y, timesteps; optional guidance, expected)")
            }
            let t = try file.tensor(key, on: backend)
            return cast ? try t.cast(to: dtype) : try t.cast(to: .f32)
        }
        return StepInputs(img: try tensor("img"), imgIds: try tensor("img_ids", cast: false), txt: try tensor("txt"),
                          txtIds: try tensor("txt_ids", cast: false), y: try tensor("y"),
                          timesteps: try tensor("timesteps", cast: false),
                          guidance: file.info("guidance") != nil ? try tensor("guidance", cast: false) : nil,
                          expected: try file.tensorNames.filter { $0.hasPrefix("expected") }.sorted()
                              .map { ($0, try tensor($0, cast: false)) })
    }
}

extension String {
    /// A double in scientific notation with 3 significant decimals (no Foundation).
    init(format6 value: Double) {
        guard value.isFinite, value != 0 else { self = "\(value)"; return }
        var exponent = 0, mantissa = abs(value)
        while mantissa >= 10 { mantissa /= 10; exponent += 1 }
        while mantissa < 1 { mantissa *= 10; exponent -= 1 }
        self = (value < 0 ? "-" : "") + ByteFormat.fixed(mantissa, 3) + "e" + (exponent < 0 ? "-" : "+") + String(abs(exponent))
    }
}

/// FLOPs of one FLUX transformer step: every token-wise linear (2·M·in·out) plus attention (4·N²·hidden
/// per block: QKᵀ and PV). The per-vector modulation and embedder linears are negligible and left out.
public enum BenchFluxFLOPs {
    public static func step(doubleBlocks: Int, singleBlocks: Int, imageTokens l: Int, textTokens lt: Int,
                            hidden: Int = 3072, mlpHidden: Int = 12288, inChannels: Int = 64, outChannels: Int = 64,
                            contextDim: Int = 4096) -> Double {
        let h = Double(hidden), m = Double(mlpHidden), n = Double(l + lt)
        let doublePerToken = 2 * (3 * h * h + h * h + 2 * h * m)          // qkv, proj, mlp (per stream)
        let singlePerToken = 2 * (h * (3 * h + m) + (h + m) * h)          // linear1, linear2
        let attention = 4 * n * n * h
        let linears = Double(doubleBlocks) * n * doublePerToken + Double(singleBlocks) * n * singlePerToken
            + 2 * Double(l) * Double(inChannels + outChannels) * h + 2 * Double(lt) * Double(contextDim) * h
        return linears + Double(doubleBlocks + singleBlocks) * attention
    }
}
