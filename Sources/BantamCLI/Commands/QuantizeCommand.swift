import ArgumentParser
import BantamCore
import BantamCPU
import BantamIO
import BantamQuant

/// `bantam quantize IN --to fp8|fp8-scaled|nf4 [--precision ...] --out OUT [--report]`: writes one
/// safetensors file that Bantam loads and that ComfyUI (fp8, fp8-scaled) or Forge / diffusers (nf4) load
/// too, streaming tensor by tensor (the source is memory-mapped; one layer is in memory at a time).
struct QuantizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantize",
        abstract: "Write a quantized copy of a checkpoint (FP8 or NF4) that Bantam, ComfyUI and Forge load.",
        discussion: """
            --to sets the transformer's and T5's Linear weights: fp8 = cast to float8_e4m3fn (ComfyUI's fp8 \
            files, no scales); fp8-scaled = one scale per tensor (ComfyUI scaled_fp8: scale_weight, marker); \
            nf4 = bitsandbytes NF4 v2, blocks of 64 (Forge, diffusers). --precision overrides per component \
            and per layer, e.g. transformer=nf4,t5=fp8,clip=f16 or transformer:final_layer.*=bf16 (formats: \
            keep, f32, f16, bf16, fp8, fp8-scaled, nf4). The FLUX defaults keep img_in, txt_in, time_in, \
            vector_in, guidance_in and final_layer as stored. __metadata__ records the policy and the source's \
            SHA-256. --report prints each layer's signal-to-noise ratio (weights, and outputs on random inputs).
            """
    )

    @Argument(help: "The checkpoint to quantize: a .safetensors file or a sharded set's .safetensors.index.json.")
    var input: String

    @Option(name: .long, help: "fp8, fp8-scaled or nf4.")
    var to: String

    @Option(name: .long, help: "Per-component and per-layer formats, e.g. transformer=nf4,t5=fp8,clip=bf16.")
    var precision: String?

    @Option(name: .long, help: "The file to write.")
    var out: String

    @Flag(name: .long, help: "Print per-layer signal-to-noise ratios of the quantized weights and outputs.")
    var report = false

    @OptionGroup var threads: ThreadOptions

    func run() throws {
        let policy = try Self.policy(to: to, precision: precision)
        guard Files.kind(of: input) != .missing else { throw CLIError("\(input) does not exist") }
        guard out != input else { throw CLIError("--out is the input file; write the quantized copy elsewhere") }
        let cpu = threads.backend
        let checkpoint = try Checkpoint(path: input)
        let source = try QuantizedTensorSource(checkpoint, host: cpu)
        let parts = QuantizePlan.parts(of: checkpoint)
        let collector = QuantizeReport()
        let plan = try QuantizePlan(source: source, parts: parts, policy: policy, cpu: cpu,
                                    observe: report ? { name, q, reference in
                                        collector.layers.append(try LayerAccuracy.measure(name: name, reference: reference, quantized: q))
                                    } : nil)
        var hashes: [String] = []
        for file in checkpoint.files { hashes.append(try FileHash.sha256(file.path)) }
        var metadata = checkpoint.metadata.filter { $0.key != "_quantization_metadata" && !$0.key.hasPrefix("bantam.") }
        metadata["format"] = metadata["format"] ?? "pt"
        metadata["bantam.quantize.policy"] = policy.description
        metadata["bantam.quantize.defaults"] = "\(policy.defaults.family): kept as stored when quantized: "
            + ModelComponent.allCases.compactMap { c in
                let p = policy.defaults.exempt[c] ?? []
                return p.isEmpty ? nil : "\(c) " + p.map(\.text).joined(separator: " ")
            }.joined(separator: "; ")
        metadata["bantam.source.sha256"] = hashes.joined(separator: ",")
        metadata["bantam.source.file"] = checkpoint.files.map { Files.baseName($0.path) }.joined(separator: ",")
        try SafetensorsWriter.write(to: out, entries: try plan.entries, metadata: metadata)

        let console = Console.output
        console.line("\(input) -> \(out)")
        for part in plan.parts {
            let label = part.component?.rawValue ?? "other"
            guard let t = plan.tallies[label] else { continue }
            var what = t.formats.sorted { $0.key < $1.key }.map { "\($0.value) Linear layers \($0.key)" }
            if !t.kept.isEmpty { what.append("\(t.kept.count) kept as stored (\(t.kept.prefix(6).joined(separator: ", "))\(t.kept.count > 6 ? ", …" : ""))") }
            if t.copied > 0 { what.append("\(t.copied) other tensors \(part.component.map { policy[$0].parameterDType.map { "as \($0)" } ?? "copied" } ?? "copied")") }
            console.line("  \(part.name): \(what.joined(separator: "; "))")
        }
        let written = Files.size(of: out) ?? 0
        let sourceBytes = checkpoint.totalBytes
        console.line("  wrote \(plan.records.count) tensors, \(Format.bytes(written)) (source \(Format.bytes(sourceBytes)))")
        console.line("  policy: \(policy.description)")
        console.line("  source sha256: \(hashes.joined(separator: ", "))")
        if report { collector.render(to: console) }
    }

    /// The policy from --to and --precision: --to sets the transformer and T5 unless --precision names them.
    /// In a file, "fp8" means ComfyUI's plain fp8 cast (no per-row scales: no ComfyUI format stores them).
    static func policy(to: String, precision: String?) throws -> PrecisionPolicy {
        let toFormat: WeightFormat
        switch to.lowercased() {
        case "fp8": toFormat = .fp8(.f8e4m3fn, .none)
        case "fp8-scaled": toFormat = .fp8(.f8e4m3fn, .perTensor)
        case "nf4": toFormat = .nf4
        default: throw CLIError("--to must be fp8, fp8-scaled or nf4, got '\(to)'", exitCode: BantamExitCode.usage)
        }
        var policy = PrecisionPolicy()
        if let precision {
            do {
                policy = try PrecisionPolicy.parse(precision)
            } catch {
                throw CLIError(error.message, exitCode: BantamExitCode.usage)
            }
        }
        for c in [ModelComponent.transformer, .t5] where !policy.named.contains(c) { policy.set(c, toFormat) }
        // File conventions: per-row FP8 is written as the plain cast.
        for (c, var p) in policy.components {
            p.format = fileFormat(p.format)
            p.rules = p.rules.map { LayerRule($0.pattern.text, fileFormat($0.format)) }
            policy[c] = p
        }
        return policy
    }

    private static func fileFormat(_ f: WeightFormat) -> WeightFormat {
        if case .fp8(let d, .perRow) = f { return .fp8(d, .none) }
        return f
    }
}
