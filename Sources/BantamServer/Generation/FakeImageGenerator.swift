/// A generator that draws a deterministic picture (a colour field that depends on the prompt and seed)
/// instead of running a model: the same request always gives the same pixels. Tests use it to drive the
/// queue, the events and the APIs without a model, and `bantam serve --fake` to try the console.
///
/// Each step waits `stepDelay` (cancellation is checked before and after), reports progress, and every
/// `previewEvery` steps a preview that fades from noise to the final picture.
public struct FakeImageGenerator: ImageGenerator {
    public var stepDelay: Duration
    public var previewEvery: Int
    /// A prompt containing this text makes the generation fail (to test failure paths).
    public var failureTrigger: String?

    public init(stepDelay: Duration = .zero, previewEvery: Int = 4, failureTrigger: String? = "[fail]") {
        self.stepDelay = stepDelay
        self.previewEvery = max(1, previewEvery)
        self.failureTrigger = failureTrigger
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public func generate(_ request: ImageRequest, cancellation: CancellationFlag,
                         progress: @escaping @Sendable (GenerationProgress) -> Void) async throws -> GeneratedImage {
        let p = request.parameters
        let clock = ContinuousClock()
        let start = clock.now
        let final = Self.picture(prompt: p.prompt, seed: request.seed, width: p.width, height: p.height)
        progress(GenerationProgress(phase: .encoding, step: 0, steps: p.steps))
        for step in 1...p.steps {
            try cancellation.check()
            if stepDelay > .zero { try? await Task.sleep(for: stepDelay) }
            try cancellation.check()
            if let trigger = failureTrigger, p.prompt.contains(trigger), step == (p.steps + 1) / 2 {
                throw Failure(description: "the fake generator was asked to fail (the prompt contains \(trigger))")
            }
            let elapsed = Self.seconds(clock.now - start)
            let perStep = elapsed / Double(step)
            let preview = step % previewEvery == 0 || step == p.steps
                ? Self.blend(final, towards: request.seed, amount: Double(step) / Double(p.steps)).downscaled(maxSide: 256) : nil
            progress(GenerationProgress(phase: .denoising, step: step, steps: p.steps, secondsPerStep: perStep,
                                        etaSeconds: perStep * Double(p.steps - step), preview: preview))
        }
        progress(GenerationProgress(phase: .decoding, step: p.steps, steps: p.steps))
        let text = "\(p.prompt)\nSteps: \(p.steps), Sampler: Euler, Seed: \(request.seed), Size: \(p.width)x\(p.height), Model: \(request.model.id), Version: bantam fake generator"
        return GeneratedImage(image: final, pngText: [PNGText("parameters", text)], seconds: Self.seconds(clock.now - start))
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    /// The finished picture: three colour waves whose phases come from the prompt's and the seed's bits.
    public static func picture(prompt: String, seed: UInt64, width: Int, height: Int) -> RGBImage {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325   // FNV-1a of the prompt, then the seed
        for b in prompt.utf8 { hash = (hash ^ UInt64(b)) &* 0x100_0000_01b3 }
        hash = (hash ^ seed) &* 0x100_0000_01b3
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                for c in 0..<3 {
                    let phase = Int((hash >> (UInt64(c) * 16)) & 0xFF)
                    let v = (x * (c + 1) * 255 / max(1, width) + y * (3 - c) * 255 / max(1, height) + phase) % 512
                    pixels[(y * width + x) * 3 + c] = UInt8(v < 256 ? v : 511 - v)
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    /// `amount` of the picture over seeded noise.
    static func blend(_ image: RGBImage, towards seed: UInt64, amount: Double) -> RGBImage {
        var state = seed | 1
        var out = image.pixels
        for i in out.indices {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17   // xorshift64
            let noise = Double(state & 0xFF)
            out[i] = UInt8(max(0, min(255, (Double(out[i]) * amount + noise * (1 - amount)).rounded())))
        }
        return RGBImage(width: image.width, height: image.height, pixels: out)
    }
}
