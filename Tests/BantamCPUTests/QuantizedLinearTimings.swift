import BantamCore
import BantamCPU
import BantamTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// CPU timings of the quantized linears against the dense one, at a FLUX projection's size (3072 × 3072).
/// Off by default; run with `BANTAM_BENCH=1 swift test -c release --filter QuantizedLinearTimings`.
@Suite(.enabled(if: getenv("BANTAM_BENCH") != nil, "set BANTAM_BENCH=1 to run timings"))
struct QuantizedLinearTimings {
    func seconds(_ repeats: Int, _ body: () throws -> Void) rethrows -> Double {
        try body()                                   // warm-up
        let start = ContinuousClock.now
        for _ in 0..<repeats { try body() }
        let d = ContinuousClock.now - start
        return (Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18) / Double(repeats)
    }

    @Test func flux3072() throws {
        let cpu = CPUBackend.shared
        var rng = TestRNG(seed: 1)
        let (n, k) = (3072, 3072)
        let dense = try rng.tensor([n, k], dtype: .bf16, scale: 0.02, on: cpu).tensor
        let fp8 = try dense.cast(to: .f8e4m3fn)
        let scales = try Tensor.full(1, shape: [n], on: cpu)
        let codes = try cpu.makeTensor(host: HostBuffer(byteCount: n * k / 2), byteOffset: 0, dtype: .u4, shape: [n, k])
        let absmax = try Tensor.full(0.05, shape: [n * k / 64], on: cpu)
        let map = try Tensor((0..<16).map { Float($0) / 8 - 1 }, shape: [16], on: cpu)
        for rows in [1, 16, 256] {
            let x = try rng.tensor([rows, k], dtype: .bf16, on: cpu).tensor
            let repeats = rows == 256 ? 3 : 20
            let tDense = try seconds(repeats) { _ = try linear(x, weight: dense) }
            let tFP8 = try seconds(repeats) { _ = try linearFP8(x, weight: fp8, rowScales: scales) }
            let tNF4 = try seconds(repeats) { _ = try linearNF4(x, codes: codes, absmax: absmax, blockSize: 64, quantMap: map) }
            let gflop = 2.0 * Double(rows * n * k) / 1e9
            print("linear [\(rows), 3072]·[3072, 3072]ᵀ, \(cpu.threads) threads: bf16 \(tDense * 1e3) ms (\(gflop / tDense) GFLOP/s), fp8 \(tFP8 * 1e3) ms, nf4 \(tNF4 * 1e3) ms")
        }
    }
}
