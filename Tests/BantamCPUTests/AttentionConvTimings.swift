import BantamCore
import BantamCPU
import BantamTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Rough timings of the attention and conv kernels at model-like sizes. Off by default (they take
/// seconds); run with `BANTAM_BENCH=1 swift test -c release --filter AttentionConvTimings`.
@Suite(.enabled(if: getenv("BANTAM_BENCH") != nil, "set BANTAM_BENCH=1 to run timings"))
struct AttentionConvTimings {
    let cpu = CPUBackend.shared

    func time(_ label: String, flops: Double, repeats: Int = 3, _ body: () throws -> Void) rethrows {
        try body()   // warm-up
        var best = Duration.seconds(1000)
        for _ in 0..<repeats {
            let start = ContinuousClock.now
            try body()
            best = min(best, ContinuousClock.now - start)
        }
        let seconds = Double(best.components.seconds) + Double(best.components.attoseconds) * 1e-18
        let gflops = (flops / seconds / 1e8).rounded() / 10
        print("[timing] \(label): \(Int((seconds * 1e3).rounded())) ms, \(gflops) GFLOP/s, \(cpu.threads) threads")
    }

    @Test func attentionL1024() throws {
        var rng = TestRNG()
        let (b, h, l, d) = (1, 4, 1024, 64)
        let q = try rng.tensor([b, h, l, d], on: cpu).tensor
        let k = try rng.tensor([b, h, l, d], on: cpu).tensor
        let v = try rng.tensor([b, h, l, d], on: cpu).tensor
        let flops = 4.0 * Double(b * h * l * l * d)
        try time("attention B1 H4 L1024 D64 f32", flops: flops) { _ = try attention(q, k, v) }
        let (qb, kb, vb) = (try q.cast(to: .bf16), try k.cast(to: .bf16), try v.cast(to: .bf16))
        try time("attention B1 H4 L1024 D64 bf16", flops: flops) { _ = try attention(qb, kb, vb) }
    }

    @Test func conv3x3() throws {
        var rng = TestRNG()
        let x = try rng.tensor([1, 128, 64, 64], on: cpu).tensor
        let w = try rng.tensor([128, 128, 3, 3], scale: 0.03, on: cpu).tensor
        let bias = try rng.tensor([128], on: cpu).tensor
        let flops = 2.0 * 128 * 128 * 9 * 64 * 64
        try time("conv2d 3x3 128->128 64x64 f32", flops: flops) {
            _ = try conv2d(x, weight: w, bias: bias, params: .init(padding: 1))
        }
        let w1 = try rng.tensor([128, 128, 1, 1], scale: 0.1, on: cpu).tensor
        try time("conv2d 1x1 128->128 64x64 f32", flops: flops / 9) { _ = try conv2d(x, weight: w1, bias: bias) }
    }
}
