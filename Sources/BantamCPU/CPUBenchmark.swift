import BantamCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Timings of the CPU backend's matrix products, for `bantam bench cpu`.
///
/// Inputs are random (non-zero, so no shortcut can skip work); each measurement runs once to warm up,
/// then `repeats` times, and reports the median. GFLOP/s counts 2·m·n·k floating-point operations per
/// product.
public enum CPUBenchmark {
    /// Times the backend's batched `matmul` kernel on a [m, k] · [k, n] product of `dtype` inputs.
    /// `threads` nil uses every core (or `BANTAM_THREADS`); `kernel` nil uses `GemmKernel.preferred`.
    public static func matmul(m: Int, n: Int, k: Int, dtype: DType = .f32, threads: Int? = nil,
                              repeats: Int = 5, kernel: GemmKernel? = nil) throws -> (seconds: Double, gflops: Double) {
        let backend = CPUBackend(threads: threads, gemmKernel: kernel)
        var seed: UInt64 = 0x5EED
        let a = try randomTensor([1, m, k], dtype: dtype, on: backend, seed: &seed)
        let b = try randomTensor([1, k, n], dtype: dtype, on: backend, seed: &seed)
        let out = try backend.empty([1, m, n], dtype: dtype)
        let seconds = try medianSeconds(repeats: repeats) { try backend.matmul(a, b, into: out) }
        return (seconds, 2 * Double(m) * Double(n) * Double(k) / seconds / 1e9)
    }

    /// Times the backend's `linear` kernel: x [rows, inFeatures] of `dtype` · weightᵀ with weight
    /// [outFeatures, inFeatures] of `weightDType` (f32, f16, bf16 or FP8), plus a bias when asked.
    public static func linear(rows: Int, inFeatures: Int, outFeatures: Int, dtype: DType = .f32,
                              weightDType: DType? = nil, bias: Bool = true, threads: Int? = nil,
                              repeats: Int = 5, kernel: GemmKernel? = nil) throws -> (seconds: Double, gflops: Double) {
        let backend = CPUBackend(threads: threads, gemmKernel: kernel)
        var seed: UInt64 = 0xB1A5
        let x = try randomTensor([rows, inFeatures], dtype: dtype, on: backend, seed: &seed)
        let w = try randomTensor([outFeatures, inFeatures], dtype: weightDType ?? dtype, on: backend, seed: &seed)
        let b = bias ? try randomTensor([outFeatures], dtype: dtype, on: backend, seed: &seed) : nil
        let out = try backend.empty([rows, outFeatures], dtype: dtype)
        let seconds = try medianSeconds(repeats: repeats) { try backend.linear(x, weight: w, bias: b, into: out) }
        return (seconds, 2 * Double(rows) * Double(outFeatures) * Double(inFeatures) / seconds / 1e9)
    }

    /// Seconds on the monotonic clock.
    public static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    /// One warm-up run, then the median of `repeats` timed runs.
    static func medianSeconds(repeats: Int, _ body: () throws -> Void) throws -> Double {
        try body()
        var times: [Double] = []
        for _ in 0..<max(1, repeats) {
            let start = now()
            try body()
            times.append(now() - start)
        }
        times.sort()
        return times.count % 2 == 1 ? times[times.count / 2] : (times[times.count / 2 - 1] + times[times.count / 2]) / 2
    }

    /// Uniform values in [-1, 1) away from zero (|v| ≥ 1/64), from a 64-bit LCG.
    static func randomTensor(_ shape: Shape, dtype: DType, on backend: CPUBackend, seed: inout UInt64) throws -> Tensor {
        let values = (0..<shape.count).map { _ -> Float in
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            let u = Float(seed >> 40) * 0x1p-24 * 2 - 1
            return u < 0 ? min(u, -1.0 / 64) : max(u, 1.0 / 64)
        }
        return try Tensor(values, shape: shape, dtype: dtype, on: backend)
    }
}
