import BantamCore
import BantamCPU
import BantamModels
import BantamNN
import BantamTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Rough CPU timings of the full-size FLUX.1 AE structure (random weights; a 256² decode is ~622 GFLOP,
/// an encode ~273 GFLOP, almost all in 3×3 convs). Off by default; run with
/// `BANTAM_BENCH=1 swift test -c release --filter VAETimings`.
@Suite(.enabled(if: getenv("BANTAM_BENCH") != nil, "set BANTAM_BENCH=1 to run timings"))
struct VAETimings {
    let cpu = CPUBackend.shared

    func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = ContinuousClock.now
        try body()
        let d = ContinuousClock.now - start
        return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }

    @Test func fullSizeAt256() throws {
        var rng = TestRNG()
        let (source, _) = try VAEKeys.random(VAEKeys.bfl(.flux), rng: &rng)
        let model = try FluxAutoencoder.load(from: source, layout: .bfl, config: .flux, backend: cpu)
        let latents = try rng.tensor([1, 16, 32, 32], on: cpu).tensor
        let image = try rng.tensor([1, 3, 256, 256], on: cpu).tensor
        var decoded: Tensor?
        let decode = try seconds { decoded = try model.decode(latents) }
        #expect(decoded?.shape == [1, 3, 256, 256])
        let encode = try seconds { _ = try model.encode(image) }
        print("[timing] FLUX AE 256×256 f32, \(cpu.threads) threads: decode \(Int(decode * 1000)) ms, encode \(Int(encode * 1000)) ms")
    }
}
