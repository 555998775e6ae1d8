#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
import BantamCore
import BantamCPU
import BantamIO
import BantamPipeline
import BantamTestSupport

/// Whole generations with the tiny FLUX.1-dev against diffusers' FluxPipeline (reference.safetensors
/// `generate.*`, made by scripts/goldens/flux_tiny_goldens.py: prompt 0, seed 42, 32×32, 4 steps,
/// guidance 3.5, T5 length 32; and true CFG 2 with prompt 1 as the negative prompt), from every layout.
@Suite(.serialized) struct FluxGenerationTests {
    static func tiny(_ p: String) -> String { Fixtures.fluxTiny(p) }
    static let prompt = "a photo of a cyberpunk city at night, intricate details"
    static let negative = "Astronaut in a jungle, cold color palette, muted colors"

    /// The three layouts of the same model.
    static func layouts() throws -> [(String, FluxModelFiles)] {
        [("diffusers folder", try FluxModelFiles.resolve(model: tiny("diffusers"))),
         ("BFL files + separate encoders", try FluxModelFiles.resolve(
            model: tiny("bfl/flux1-tiny-dev.safetensors"), clip: tiny("bfl/clip_l.safetensors"), t5: tiny("bfl/t5xxl.safetensors"),
            vae: tiny("bfl/ae.safetensors"), tokenizers: tiny("tokenizers"), configs: tiny("diffusers"))),
         ("ComfyUI all-in-one", try FluxModelFiles.resolve(model: tiny("comfy/flux1-tiny-dev-aio.safetensors"),
                                                          configs: tiny("diffusers")))]
    }

    static func request(trueCFG: Bool) -> GenerationRequest {
        GenerationRequest(prompt: prompt, negativePrompt: trueCFG ? negative : nil, width: 32, height: 32, steps: 4,
                          guidance: 3.5, trueCFG: trueCFG ? 2 : 1, seed: 42, t5Length: 32)
    }

    /// Peak signal-to-noise ratio of images in [0, 1].
    static func psnr(_ a: [Float], _ b: [Float]) -> Double {
        let mse = zip(a, b).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) } / Double(a.count)
        return mse == 0 ? .infinity : 10 * log10(1 / mse)
    }

    static func maxAbs(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
    }

    @Test func matchesDiffusersFromEveryLayout() throws {
        let reference = try SafetensorsFile(path: Self.tiny("reference.safetensors"))
        for (name, files) in try Self.layouts() {
            let pipeline = try FluxPipeline(files: files, backend: CPUBackend.shared)
            for (variant, cfg) in [("dev", false), ("truecfg", true)] {
                var steps: [Int] = []
                let result = try pipeline.generate(Self.request(trueCFG: cfg)) { steps.append($0.step) }
                #expect(steps == [1, 2, 3, 4])
                let latents = try result.latents.floats()
                let expectedLatents = try PipelineFixtures.floats(reference, "generate.\(variant).latents")
                let expectedImage = try PipelineFixtures.floats(reference, "generate.\(variant).image")
                #expect(latents.count == expectedLatents.count && result.pixels.count == expectedImage.count)
                let latentError = Self.maxAbs(latents, expectedLatents)
                let psnr = Self.psnr(result.pixels, expectedImage)
                print("\(name), \(variant): latents max abs err \(latentError), image PSNR \(psnr) dB")
                #expect(latentError < 1e-3, "\(name), \(variant): latents max abs err \(latentError)")
                #expect(psnr >= 40, "\(name), \(variant): PSNR \(psnr) dB")
                // 8-bit pixels as diffusers' numpy_to_pil makes them from its image: equal but for values
                // that sit on a rounding boundary.
                let expectedRGB = expectedImage.map { UInt8(($0 * 255).rounded(.toNearestOrEven)) }
                let differing = zip(result.rgb, expectedRGB).filter { $0 != $1 }
                #expect(differing.count <= result.rgb.count / 200 && differing.allSatisfy { abs(Int($0) - Int($1)) <= 1 },
                        "\(name), \(variant): \(differing.count) of \(result.rgb.count) 8-bit values differ")
            }
        }
    }
}
