import ArgumentParser
import BantamCore
import BantamCUDA

/// `bantam bench attention`: TFLOP/s of fused attention on the GPU (cuDNN's fused SDPA and Bantam's flash
/// kernel) on the diffusion-transformer shapes, with the cuDNN engine chosen per shape and how far the two
/// paths' outputs are apart.
struct BenchAttentionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attention",
        abstract: "Time fused attention on the GPU (TFLOP/s, median of event-timed runs)."
    )

    @Option(name: .long, help: "Timed runs per row after one warm-up; the median is reported.") var repeats = 20
    @Option(name: .long, help: "Token counts to time with d = 128 (comma-separated); d = 64 runs at 4096.") var tokens = "4608,17408"

    func run() throws {
        let out = Console.output
        let backend: CUDABackend
        switch CUDABackend.open() {
        case .failure(let why): throw CLIError("no CUDA GPU: \(why.reason)")
        case .success(let b): backend = b
        }
        out.line("GPU: \(backend.device.name), \(backend.kernels.target)")
        switch CUDNNAttention.of(backend) {
        case .failure(let why): out.line("cuDNN: unavailable: \(why.reason)")
        case .success(let cudnn): out.line("cuDNN: \(cudnn.api.versionString) (\(cudnn.api.library.loadedPath))")
        }
        var shapes = tokens.split(separator: ",").compactMap { Int($0) }.map { AttentionBenchmarks.Shape(tokens: $0, headSize: 128) }
        shapes.append(AttentionBenchmarks.Shape(tokens: 4096, headSize: 64))
        for shape in shapes {
            if case .success(let cudnn) = CUDNNAttention.of(backend) {
                do {
                    let engine = try cudnn.engine(batch: shape.batch, heads: shape.heads, queries: shape.tokens, keys: shape.tokens,
                                                  headSize: shape.headSize, dtype: .bf16)
                    out.line("cuDNN plan for N=\(shape.tokens) d=\(shape.headSize): \(engine)")
                } catch {
                    out.line("cuDNN plan for N=\(shape.tokens) d=\(shape.headSize): \(error)")
                }
            }
        }
        for line in try AttentionAgreement.check(backend) { out.line(line) }
        for row in try AttentionBenchmarks.run(on: backend, shapes: shapes, repeats: repeats) {
            out.line(row.milliseconds.isFinite ? row.description : "\(row.op) \(row.shape): \(row.ceilingSource)")
        }
    }
}

/// cuDNN against the flash kernel on one large shape (both on the GPU; the self-test compares each with
/// the CPU on smaller shapes).
enum AttentionAgreement {
    static func check(_ backend: CUDABackend) throws -> [String] {
        let dims: Shape = [1, 24, 4608, 128]
        var rng = SelfTestRandom(seed: 7)
        let inputs = try (0..<3).map { _ in try rng.tensor(dims, dtype: .bf16).to(backend) }
        let scale = 1 / Float(128).squareRoot()
        var outputs: [(AttentionPath, [Float])] = []
        for path in [AttentionPath.flash, .cudnn] {
            let out = try backend.empty(dims, dtype: .bf16)
            do {
                try backend.attention(inputs[0], inputs[1], inputs[2], bias: nil, causal: false, scale: scale, into: out, path: path)
                outputs.append((path, try out.floats()))
            } catch {
                return ["agreement: \(path) failed: \(error)"]
            }
        }
        let (a, b) = (outputs[0].1, outputs[1].1)
        var maxDiff: Float = 0, maxRef: Float = 0, nan = 0
        for i in 0..<a.count {
            if a[i].isNaN || b[i].isNaN { nan += 1; continue }
            maxDiff = max(maxDiff, abs(a[i] - b[i]))
            maxRef = max(maxRef, abs(b[i]))
        }
        return ["agreement flash vs cuDNN on \(dims) bf16: max |diff| \(maxDiff), max |out| \(maxRef), NaN \(nan)"]
    }
}
