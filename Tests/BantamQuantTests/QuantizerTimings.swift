import BantamCore
import BantamCPU
import BantamQuant
import BantamTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Throughput of the reference quantizers and of SHA-256 (what `bantam quantize` spends its time on).
/// Off by default; run with `BANTAM_BENCH=1 swift test -c release --filter QuantizerTimings`.
@Suite(.enabled(if: getenv("BANTAM_BENCH") != nil, "set BANTAM_BENCH=1 to run timings"))
struct QuantizerTimings {
    func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = ContinuousClock.now
        try body()
        let d = ContinuousClock.now - start
        return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }

    @Test func throughput() throws {
        var rng = TestRNG(seed: 2)
        let w = try rng.tensor([3072, 3072], dtype: .bf16, scale: 0.02, on: CPUBackend.shared).tensor
        let mb = Double(w.byteCount) / 1e6
        let tNF4 = try seconds { _ = try Quantizer.nf4(w) }
        let tFP8 = try seconds { _ = try Quantizer.fp8(w, scaling: .perRow) }
        let data = [UInt8](repeating: 0x5A, count: 64 << 20)
        var digest = ""
        let tSHA = seconds { digest = SHA256.hex(data) }
        print("quantize a 3072×3072 bf16 weight (\(mb) MB): nf4 \(tNF4 * 1e3) ms (\(mb / tNF4) MB/s), fp8 per-row \(tFP8 * 1e3) ms (\(mb / tFP8) MB/s); SHA-256 \(64 * 1.048576 / tSHA) MB/s \(digest.prefix(8))")
    }
}
