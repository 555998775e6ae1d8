import BantamCore
import BantamCPU
import BantamQuant
import BantamTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The measures of the accuracy report: SNR, layer accuracy, PSNR / SSIM and the end-to-end comparison.
@Suite("Accuracy measures")
struct AccuracyReportTests {
    let cpu = QuantFixtures.cpu

    @Test("signal-to-noise in dB, merged sums, exact copies")
    func signalToNoise() {
        let s = SignalToNoise(reference: [1, -1, 1, -1], approximation: [1.1, -0.9, 1.1, -0.9])
        #expect(abs(s.decibels - 20) < 1e-5)                 // 4 / 0.04 = 100 (1.1 and 0.9 rounded to f32)
        #expect(abs(s.relativeRMSError - 0.1) < 1e-6)
        #expect(abs(s.maxAbsError - 0.1) < 1e-6)
        var merged = s
        merged.merge(SignalToNoise(reference: [3], approximation: [3]))
        #expect(abs(merged.decibels - 10 * log10(13 / 0.04)) < 1e-5)
        #expect(SignalToNoise(reference: [1, 2], approximation: [1, 2]).decibels == .infinity)
        #expect(SignalToNoise(reference: [0, 0], approximation: [1, 0]).decibels == -.infinity)
    }

    @Test("layer accuracy: an exact weight is exact, NF4 and FP8 land where their formats put them")
    func layerAccuracy() throws {
        var rng = TestRNG()
        let w = try rng.tensor([64, 96], scale: 0.02, on: cpu).tensor
        let exact = try LayerAccuracy.measure(name: "w", reference: w, quantized: .dense(w))
        #expect(exact.weights.decibels == .infinity && exact.outputs.decibels == .infinity)
        let nf4 = try LayerAccuracy.measure(name: "w", reference: w, quantized: .nf4(try Quantizer.nf4(w)))
        let fp8 = try LayerAccuracy.measure(name: "w", reference: w, quantized: .fp8(try Quantizer.fp8(w, scaling: .perRow)))
        // Normal weights: NF4 ≈ 20 dB, e4m3fn with per-row scales ≈ 31 dB (measured, tiny FLUX report).
        #expect(nf4.weights.decibels > 17 && nf4.weights.decibels < 24, "seed \(rng.seed): \(nf4.weights)")
        #expect(fp8.weights.decibels > 28 && fp8.weights.decibels < 35, "seed \(rng.seed): \(fp8.weights)")
        #expect(nf4.outputs.decibels > 14 && fp8.outputs.decibels > 25)
        #expect(nf4.format == "nf4" && fp8.format == "fp8" && nf4.parameters == 64 * 96)
        let summary = AccuracySummary([nf4, fp8])
        #expect(summary.worst?.format == "nf4")
    }

    @Test("PSNR and SSIM: identical images, constant images, noise")
    func imageSimilarity() {
        var rng = TestRNG()
        let (w, h) = (23, 17)
        let a = (0..<(w * h * 3)).map { _ in Double(rng.next() % 256) }
        #expect(ImageSimilarity.psnr(a, a, peak: 255) == .infinity)
        #expect(abs(ImageSimilarity.ssim(a, a, width: w, height: h, channels: 3, peak: 255) - 1) < 1e-12)
        let shifted = a.map { $0 + 5 }
        #expect(abs(ImageSimilarity.psnr(a, shifted, peak: 255) - 10 * log10(255.0 * 255 / 25)) < 1e-9)
        // Constant images: SSIM = (2·c1·c2 + C1) / (c1² + c2² + C1) exactly.
        let (c1, c2) = (100.0, 140.0), k1 = (0.01 * 255) * (0.01 * 255)
        let ssim = ImageSimilarity.ssim([Double](repeating: c1, count: 12 * 12), [Double](repeating: c2, count: 12 * 12),
                                        width: 12, height: 12, channels: 1, peak: 255)
        #expect(abs(ssim - (2 * c1 * c2 + k1) / (c1 * c1 + c2 * c2 + k1)) < 1e-12)
        // More noise, lower SSIM and PSNR.
        let light = a.map { min(255, max(0, $0 + Double(rng.next() % 11) - 5)) }
        let heavy = a.map { min(255, max(0, $0 + Double(rng.next() % 81) - 40)) }
        #expect(ImageSimilarity.ssim(a, light, width: w, height: h, channels: 3, peak: 255)
                > ImageSimilarity.ssim(a, heavy, width: w, height: h, channels: 3, peak: 255))
        #expect(ImageSimilarity.psnr(a, light, peak: 255) > ImageSimilarity.psnr(a, heavy, peak: 255))
    }

    @Test("end-to-end comparison of two generations (the hook the pipeline calls)")
    func endToEnd() throws {
        let rgb = (0..<(16 * 16 * 3)).map { UInt8($0 % 256) }
        let latents: [Float] = (0..<64).map { Float($0) / 10 }
        let reference = GeneratedSample(rgb: rgb, width: 16, height: 16, latents: latents)
        let same = try EndToEndAccuracy.compare(reference: reference, candidate: reference)
        #expect(same.psnr == .infinity && abs(same.ssim - 1) < 1e-12 && same.latentRelativeError == 0)
        let other = GeneratedSample(rgb: rgb.map { $0 ^ 1 }, width: 16, height: 16, latents: latents.map { $0 * 1.01 })
        let diff = try EndToEndAccuracy.compare(reference: reference, candidate: other)
        #expect(abs(diff.psnr - 10 * log10(255.0 * 255)) < 1e-9 && abs(diff.latentRelativeError - 0.01) < 1e-6)
        #expect(throws: QuantizationError.self) {
            try EndToEndAccuracy.compare(reference: reference, candidate: GeneratedSample(rgb: [], width: 0, height: 0, latents: []))
        }
    }
}
