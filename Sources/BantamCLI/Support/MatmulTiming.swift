import BantamCore
import BantamCPU

/// Times the CPU backend's matrix product, for `bantam bench cpu` and the demo.
///
/// One warm-up run, then the median of `repeats` timed runs of `matmul` on random [m, k] · [k, n] inputs;
/// GFLOP/s counts 2·m·n·k operations. It goes through the public op layer, so it measures what any caller
/// gets. (The GEMM work adds `CPUBenchmark.matmul(m:n:k:dtype:threads:repeats:)` with the same
/// definition; once that is in the tree this can call it instead.)
enum MatmulTiming {
    static func measure(m: Int, n: Int, k: Int, dtype: DType, backend: CPUBackend,
                        repeats: Int) throws -> (seconds: Double, gflops: Double) {
        var rng = DemoRandom(seed: 0xB0A7)
        let a = try Tensor(rng.uniforms(m * k), shape: [m, k], dtype: dtype, on: backend)
        let b = try Tensor(rng.uniforms(k * n), shape: [k, n], dtype: dtype, on: backend)
        _ = try matmul(a, b)
        var times: [Double] = []
        for _ in 0..<max(1, repeats) {
            let (_, seconds) = try Clock.time { try matmul(a, b) }
            times.append(seconds)
        }
        times.sort()
        let median = times.count % 2 == 1 ? times[times.count / 2] : (times[times.count / 2 - 1] + times[times.count / 2]) / 2
        return (median, 2 * Double(m) * Double(n) * Double(k) / median / 1e9)
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
