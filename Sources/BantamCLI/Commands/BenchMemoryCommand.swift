import ArgumentParser
import BantamCore
import BantamCUDA

/// `bantam bench memory`: the CUDA backend's memory-bound kernels (element-wise, norms, rope, softmax,
/// reduce, embedding, upsample) and conv2d on FLUX and VAE shapes, against the device-copy ceiling
/// (MemoryBoundBenchmarks). The lead's `bench ops` may absorb it.
struct BenchMemoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "memory",
        abstract: "Time the CUDA memory-bound kernels on FLUX/VAE shapes (GB/s against the device-copy ceiling)."
    )

    @Option(name: .long, help: "Timed samples after a warm-up; the median is reported.") var repeats = 30
    @Option(name: .long, help: "Only rows whose op or shape contains this text.") var filter: String?
    @Option(name: .long, help: "GPU to use (0-based).") var device = 0

    func run() throws {
        let out = Console.output
        let backend: CUDABackend
        switch CUDABackend.open(device: device) {
        case .failure(let why): throw CLIError("bench memory needs a CUDA GPU: \(why.reason)")
        case .success(let b): backend = b
        }
        out.line("memory-bound kernels on \(backend.device.name): median of \(repeats) event-timed samples, bytes = inputs read once + output written once")
        for row in try MemoryBoundBenchmarks.run(on: backend, repeats: repeats, filter: filter) {
            out.line("  " + row.description)
        }
    }
}
