import ArgumentParser
import BantamCore
import BantamCUDA

/// `bantam bench gemm`: the GEMM family's benchmark rows (GEMMBenchmarks) on the GPU: BF16 and FP8 linears
/// on FLUX.1 shapes and 8192³, each next to cuBLASLt alone and the measured ceilings.
struct BenchGEMMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gemm",
        abstract: "Time the CUDA GEMMs (cuBLASLt) on FLUX.1 shapes against cuBLASLt alone (TFLOP/s, median of event-timed runs)."
    )

    @Option(name: .long, help: "Timed runs per row (median reported).") var repeats = 30
    @Option(name: .long, help: "Only shapes whose N (out features) is in this comma-separated list.") var n: String?
    @Option(name: .long, help: "GPU to use (0-based).") var device = 0

    func run() throws {
        let out = Console.output
        let backend: CUDABackend
        switch CUDABackend.open(device: device) {
        case .failure(let why): throw CLIError("no CUDA backend: \(why.reason)")
        case .success(let b): backend = b
        }
        let wanted = n.map { Set($0.split(separator: ",").compactMap { Int($0) }) }
        let shapes = GEMMBenchmarks.shapes.filter { wanted?.contains($0.n) ?? true }
        out.line("GEMM benchmarks on \(backend.device.name), cuBLASLt \(backend.runtime.cublasLtVersion ?? "?"); median of \(repeats) event-timed runs, rotated inputs")
        // After each "cuBLASLt alone" row: every Bantam row of the same shape and precision as a fraction of it.
        var seen: [OpBenchmark] = []
        _ = try GEMMBenchmarks.run(on: backend, shapes: shapes, repeats: repeats) { row in
            var line = "  " + Format.padded(row.op, 62) + Format.padded(row.shape, 24) + Format.leftPadded(Format.fixed(row.milliseconds, 4), 9) + " ms"
            line += row.bound == .compute ? Format.leftPadded(Format.fixed(row.teraflops, 1), 9) + " TFLOP/s" : Format.leftPadded(Format.fixed(row.gigabytesPerSecond, 0), 9) + " GB/s   "
            line += Format.leftPadded(Format.fixed(100 * row.fractionOfCeiling, 1), 7) + "% of ceiling"
            out.line(line)
            if row.op.hasSuffix("(cuBLASLt alone)") {
                let fast = row.op.contains("fast accumulation")
                for other in seen where other.shape == row.shape && other.ceiling == row.ceiling && other.bound == .compute
                    && !other.op.hasSuffix("(cuBLASLt alone)") && other.op.contains("fast accumulation") == fast {
                    out.line("      " + Format.padded(other.op, 62) + Format.leftPadded(Format.fixed(100 * row.milliseconds / other.milliseconds, 1), 7) + "% of cuBLASLt alone")
                }
            }
            seen.append(row)
        } failure: { out.line("  failed: \($0)") }
        if backend.device.precision.fp8TensorCores {
            out.line("FP8 accuracy against the BF16 linear (‖y − y_bf16‖ / ‖y_bf16‖; per-row e4m3 weights, per-token e4m3 activations):")
            for (m, k, n) in [(4608, 3072, 3072), (4608, 15360, 3072)] {
                for (path, error) in try GEMMBenchmarks.fp8Accuracy(on: backend, m: m, k: k, n: n) {
                    out.line("  " + Format.padded("\(m)x\(k) · \(k)x\(n)", 26) + Format.padded(path, 40) + String(error))
                }
            }
        }
        let stats = try backend.gemmEngine().statistics
        out.line("plans built \(stats.plansBuilt) (\(stats.unsupportedKeys) without an algorithm), cache hits \(stats.cacheHits), launches \(stats.launches); FP8 paths \(stats.fp8Paths)")
    }
}
