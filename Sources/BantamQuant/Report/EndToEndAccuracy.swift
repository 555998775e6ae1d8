/// The end-to-end part of the accuracy report: one generation with the quantized model against the same
/// generation (seed, prompt, steps, size) with the BF16 model — PSNR and SSIM of the two images and the
/// relative error of the final latents.
///
/// The comparison is here; producing the two generations needs the FLUX pipeline (BantamPipeline), which
/// implements `EndToEndGenerator` and hands both results to `EndToEndAccuracy.compare`. `bantam quantize
/// --report` calls it when a generator is available and says so when it is not.
public struct EndToEndAccuracy: Equatable, Sendable {
    /// PSNR of the 8-bit images in dB (peak 255); +∞ for identical images.
    public let psnr: Double
    /// Mean SSIM over channels (`ImageSimilarity.ssim`).
    public let ssim: Double
    /// ‖latents − reference‖₂ / ‖reference‖₂ of the final (denoised) latents.
    public let latentRelativeError: Double

    public init(psnr: Double, ssim: Double, latentRelativeError: Double) {
        self.psnr = psnr
        self.ssim = ssim
        self.latentRelativeError = latentRelativeError
    }

    /// Compares a generation with its reference. Images are RGB, 8 bit, row-major [height, width, 3].
    public static func compare(reference: GeneratedSample, candidate: GeneratedSample) throws -> EndToEndAccuracy {
        guard reference.width == candidate.width, reference.height == candidate.height,
              reference.rgb.count == candidate.rgb.count, reference.latents.count == candidate.latents.count else {
            throw QuantizationError(.badTensor, "end-to-end comparison", "the two generations differ in size (\(reference.width)×\(reference.height), \(reference.latents.count) latents vs \(candidate.width)×\(candidate.height), \(candidate.latents.count))")
        }
        let a = reference.rgb.map(Double.init), b = candidate.rgb.map(Double.init)
        let noise = SignalToNoise(reference: reference.latents, approximation: candidate.latents)
        return EndToEndAccuracy(psnr: ImageSimilarity.psnr(a, b, peak: 255),
                                ssim: ImageSimilarity.ssim(a, b, width: reference.width, height: reference.height,
                                                           channels: 3, peak: 255),
                                latentRelativeError: noise.relativeRMSError)
    }
}

/// One generation's outputs.
public struct GeneratedSample: Sendable {
    public let rgb: [UInt8]
    public let width: Int
    public let height: Int
    public let latents: [Float]

    public init(rgb: [UInt8], width: Int, height: Int, latents: [Float]) {
        self.rgb = rgb
        self.width = width
        self.height = height
        self.latents = latents
    }
}

/// What the pipeline provides for the end-to-end report: a generation with the model loaded under a given
/// precision policy (same seed and settings every call).
public protocol EndToEndGenerator {
    func generate(policy: PrecisionPolicy) throws -> GeneratedSample
}

/// Image quality measures.
public enum ImageSimilarity {
    /// 10·log10(peak² / MSE) in dB; +∞ when the images are equal.
    public static func psnr(_ a: [Double], _ b: [Double], peak: Double) -> Double {
        precondition(a.count == b.count && !a.isEmpty, "psnr: images of \(a.count) and \(b.count) values")
        var sum = 0.0
        for i in a.indices { sum += (a[i] - b[i]) * (a[i] - b[i]) }
        let mse = sum / Double(a.count)
        return mse == 0 ? .infinity : 10 * log10Double(peak * peak / mse)
    }

    /// SSIM (Wang et al. 2004, the reference ssim.m): 11×11 Gaussian window (σ 1.5) over the positions
    /// where it fits ("valid"), C1 = (0.01·peak)², C2 = (0.03·peak)², averaged over windows and channels.
    /// Images are row-major [height, width, channels]; smaller than 11×11 uses the whole image as one window.
    public static func ssim(_ a: [Double], _ b: [Double], width: Int, height: Int, channels: Int, peak: Double) -> Double {
        precondition(a.count == b.count && a.count == width * height * channels, "ssim: sizes do not match")
        let size = min(11, width, height)
        let sigma = 1.5
        let half = Double(size - 1) / 2
        var window = [Double](repeating: 0, count: size * size)
        for y in 0..<size {
            for x in 0..<size {
                let dx = Double(x) - half, dy = Double(y) - half
                window[y * size + x] = expDouble(-(dx * dx + dy * dy) / (2 * sigma * sigma))
            }
        }
        let total = window.reduce(0, +)
        window = window.map { $0 / total }
        let c1 = (0.01 * peak) * (0.01 * peak), c2 = (0.03 * peak) * (0.03 * peak)
        var sum = 0.0, windows = 0
        for c in 0..<channels {
            for y0 in 0...(height - size) {
                for x0 in 0...(width - size) {
                    var ma = 0.0, mb = 0.0, aa = 0.0, bb = 0.0, ab = 0.0
                    for y in 0..<size {
                        for x in 0..<size {
                            let w = window[y * size + x]
                            let i = ((y0 + y) * width + (x0 + x)) * channels + c
                            ma += w * a[i]; mb += w * b[i]
                            aa += w * a[i] * a[i]; bb += w * b[i] * b[i]; ab += w * a[i] * b[i]
                        }
                    }
                    let va = aa - ma * ma, vb = bb - mb * mb, cov = ab - ma * mb
                    sum += ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2))
                    windows += 1
                }
            }
        }
        return sum / Double(windows)
    }
}
