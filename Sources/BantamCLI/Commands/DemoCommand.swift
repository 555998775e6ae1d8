import ArgumentParser
import BantamCore
import BantamCPU
import BantamIO

/// `bantam demo`: a labeled demonstration of what exists so far — the checkpoint writer and reader,
/// detection, and the CPU ops running a FLUX-style double block — on a tiny random model.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Demonstrate the foundation on a tiny random FLUX-shaped checkpoint (no real model).",
        discussion: """
            Writes a tiny checkpoint with real FLUX.1-dev tensor names and scaled-down shapes into a \
            temporary folder, inspects it, runs the input embedders and one double-stream block on the CPU, \
            and times a matrix product. Exit status 3 when a CPU kernel it needs is not written yet.
            """
    )

    @Option(name: .long, help: "Image tokens per side (the block runs on side² image tokens).") var side = 16
    @Option(name: .long, help: "Text tokens.") var textTokens = 32
    @Option(name: .long, help: "Seed of the random weights and inputs.") var seed: UInt64 = 42
    @Option(name: .long, help: "Size of the timed square matrix product.") var matmulSize = 512
    @Flag(name: .long, help: "Keep the temporary folder with the checkpoint.") var keep = false
    @OptionGroup var threadOptions: ThreadOptions

    func validate() throws {
        guard (1...128).contains(side) else { throw ValidationError("--side must be in 1...128, got \(side)") }
        guard (1...1024).contains(textTokens) else { throw ValidationError("--text-tokens must be in 1...1024, got \(textTokens)") }
        guard (1...4096).contains(matmulSize) else { throw ValidationError("--matmul-size must be in 1...4096, got \(matmulSize)") }
    }

    func run() throws {
        let out = Console.output
        let backend = threadOptions.backend
        let config = DemoFluxConfig()
        out.line("bantam \(BantamVersion.current) demo: what the foundation does so far, on a tiny random model.")
        out.line("(No real model runs yet: the weights are random and only one block is computed.)")
        out.line()

        // 1. Write the checkpoint.
        let folder = try Files.makeTemporaryFolder(prefix: "bantam-demo")
        defer { if !keep { Files.removeFlatFolder(folder) } }
        let path = Files.join(folder, "flux1-dev-tiny.safetensors")
        let (_, writeSeconds) = try Clock.time { try config.write(to: path, seed: seed) }
        out.line("1. Wrote a random checkpoint with FLUX.1-dev tensor names, scaled-down shapes, BF16")
        out.line("   (hidden \(config.hidden), \(config.depth) double + \(config.singleBlocks) single blocks) in \(Format.seconds(writeSeconds)):")
        out.line("   \(path)")

        // 2. Read it back and detect it.
        let (checkpoint, openSeconds) = try Clock.time { try Checkpoint(path: path) }
        let component = InspectReport.component("demo", checkpoint)
        out.line()
        out.line("2. Opened it (memory-mapped, headers only) in \(Format.seconds(openSeconds)) and detected:")
        out.line("   \(component.kind.summary)")
        if let dims = component.kind.primary?.dimensions.description, !dims.isEmpty { out.line("   \(dims)") }
        out.line("   \(component.tensorCount) tensors, \(Format.grouped(component.bytes)) bytes (\(Format.bytes(component.bytes)))")

        // 3. The embedders and one double block.
        out.line()
        out.line("3. FLUX input embedders + double_blocks.0 on the CPU, \(backend.threads) threads, f32 compute from BF16 weights,")
        out.line("   \(side * side) image + \(textTokens) text tokens:")
        var pending: [String] = []
        let timer = OpTimer()
        let forward = DemoForward(checkpoint: checkpoint, config: config, backend: backend, timer: timer,
                                  side: side, textTokens: textTokens)
        do {
            let result = try forward.run(seed: seed)
            printTimings(timer, to: out)
            let values = try result.img.floats()
            let mean = values.reduce(0) { $0 + Double($1) } / Double(values.count)
            let spread = (values.reduce(0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(values.count)).squareRoot()
            let finite = values.allSatisfy(\.isFinite)
            out.line("   image stream out: \(result.img.shape), mean \(Format.fixed(mean, 4)), std \(Format.fixed(spread, 4)), "
                     + (finite ? "all finite" : "NOT all finite"))
        } catch let error as TensorError where BantamMain.isPending(error) {
            printTimings(timer, to: out)
            out.line("   stopped: \(error.description)")
            pending.append("the block (\(error.description))")
        }

        // 4. Matrix product speed.
        out.line()
        let n = matmulSize
        do {
            let result = try MatmulTiming.measure(m: n, n: n, k: n, dtype: .f32, backend: backend, repeats: 5)
            out.line("4. CPU matmul \(n)×\(n) · \(n)×\(n) f32: \(Format.seconds(result.seconds)) (median of 5), "
                     + "\(Format.fixed(result.gflops, 1)) GFLOP/s")
        } catch let error as TensorError where BantamMain.isPending(error) {
            out.line("4. CPU matmul: \(error.description)")
            pending.append("matmul")
        }

        out.line()
        out.line(keep ? "Kept \(folder)." : "Removed the temporary folder (--keep keeps it).")
        if !pending.isEmpty {
            throw CLIError("demo incomplete: CPU kernels not written yet for \(pending.joined(separator: "; "))",
                           exitCode: BantamExitCode.unavailable)
        }
    }

    func printTimings(_ timer: OpTimer, to out: any TextOutput) {
        guard !timer.entries.isEmpty else { return }
        let total = timer.totalSeconds
        out.line("   \(Format.padded("op", 11)) \(Format.leftPadded("calls", 5)) \(Format.leftPadded("time", 10)) \(Format.leftPadded("share", 6))")
        for (op, e) in timer.entries {
            var row = "   \(Format.padded(op, 11)) \(Format.leftPadded(String(e.calls), 5)) "
                + "\(Format.leftPadded(Format.seconds(e.seconds), 10)) \(Format.leftPadded(Format.fixed(100 * e.seconds / max(total, 1e-12), 0) + "%", 6))"
            if e.flops > 0 && e.seconds > 0 { row += "  \(Format.fixed(e.flops / e.seconds / 1e9, 2)) GFLOP/s" }
            out.line(row)
        }
        out.line("   \(Format.padded("total", 11)) \(Format.leftPadded("", 5)) \(Format.leftPadded(Format.seconds(total), 10))")
    }
}
