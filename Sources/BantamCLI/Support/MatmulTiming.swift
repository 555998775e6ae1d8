import BantamCore
import BantamCPU

/// Times the CPU backend's matrix product, for `bantam bench cpu` and the demo: `CPUBenchmark.matmul`
/// (random inputs, one warm-up, the median of `repeats` runs; GFLOP/s counts 2·m·n·k) with the backend's
/// thread count and GEMM kernel.
enum MatmulTiming {
    static func measure(m: Int, n: Int, k: Int, dtype: DType, backend: CPUBackend,
                        repeats: Int) throws -> (seconds: Double, gflops: Double) {
        try CPUBenchmark.matmul(m: m, n: n, k: k, dtype: dtype, threads: backend.threads, repeats: repeats,
                                kernel: backend.gemmKernel)
    }
}

/// A small seeded generator (SplitMix64) for demo weights and benchmark inputs.
struct DemoRandom: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [-1, 1).
    mutating func uniform() -> Float { Float(next() >> 40) * 0x1p-23 - 1 }

    mutating func uniforms(_ count: Int, scale: Float = 1) -> [Float] { (0..<count).map { _ in uniform() * scale } }
}
