#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
import BantamCore
import BantamCPU
import BantamIO
import BantamJSON
import BantamPipeline
import BantamTestSupport

/// Pipeline behaviour beyond the diffusers parity (FluxGenerationTests): noise files, schnell, defaults,
/// request checks, metadata, speed of a whole tiny generation on the CPU.
@Suite(.serialized) struct FluxPipelineTests {
    static func tiny(_ p: String) -> String { Fixtures.fluxTiny(p) }
    static let dev: FluxPipeline? = try? FluxPipeline(files: try FluxModelFiles.resolve(model: tiny("diffusers")), backend: CPUBackend.shared)

    static func request(seed: UInt64 = 42) -> GenerationRequest {
        GenerationRequest(prompt: "a red fox in the snow", width: 32, height: 32, steps: 3, seed: seed, t5Length: 16)
    }

    static func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }

    /// A noise file holding the seed's noise gives the same image as the seed; a wrong shape is refused.
    @Test func noiseFileReproducesTheSeed() throws {
        let pipeline = try #require(Self.dev)
        var generator = TorchGenerator(seed: 42)
        let noise = generator.randn(count: 16 * 16 * 16)
        let path = "/tmp/bantam-noise-\(getpid()).safetensors"
        defer { unlink(path) }
        try SafetensorsWriter.write(to: path, tensors: [("noise", try Tensor(noise, shape: [1, 16, 16, 16], on: CPUBackend.shared))])
        var request = Self.request()
        request.noise = try NoiseFile.load(path, channels: 16, height: 16, width: 16)
        #expect(request.noise == noise)
        let fromFile = try pipeline.generate(request)
        let fromSeed = try pipeline.generate(Self.request())
        let (fileLatents, seedLatents) = (try fromFile.latents.floats(), try fromSeed.latents.floats())
        #expect(fromFile.rgb == fromSeed.rgb && fileLatents == seedLatents)
        let other = try pipeline.generate(Self.request(seed: 43))
        #expect(other.rgb != fromSeed.rgb)
        #expect(throws: (any Error).self) { try NoiseFile.load(path, channels: 16, height: 8, width: 8) }
    }

    /// Dev defaults (28 steps, T5 512), size checks, and that a wrong size says what would fit.
    @Test func defaultsAndRequestChecks() throws {
        let pipeline = try #require(Self.dev)
        #expect(pipeline.isGuidanceDistilled && pipeline.defaultSteps == 28 && pipeline.defaultT5Length == 512)
        #expect(pipeline.sizeMultiple == 4)   // the tiny AE downsamples by 2
        var request = Self.request()
        request.width = 30
        do {
            _ = try pipeline.generate(request)
            Issue.record("a width that is not a multiple of 4 was accepted")
        } catch {
            #expect(String(describing: error) == "width 30 is not a multiple of 4; use 28 or 32")
        }
        request = Self.request()
        request.steps = 0
        #expect(throws: PipelineError.self) { try pipeline.generate(request) }
    }

    /// schnell: no guidance input (changing it changes nothing), unshifted schedule, 4 steps by default.
    @Test func schnellIgnoresGuidance() throws {
        let files = try FluxModelFiles.resolve(model: Self.tiny("bfl/flux1-tiny-schnell.safetensors"), clip: Self.tiny("bfl/clip_l.safetensors"),
                                               t5: Self.tiny("bfl/t5xxl.safetensors"), vae: Self.tiny("bfl/ae.safetensors"),
                                               configs: Self.tiny("diffusers"))
        let pipeline = try FluxPipeline(files: files, backend: CPUBackend.shared)
        #expect(!pipeline.isGuidanceDistilled && pipeline.defaultSteps == 4 && pipeline.defaultT5Length == 256)
        var a = Self.request(), b = Self.request()
        a.steps = nil; b.steps = nil
        a.guidance = 1; b.guidance = 7
        let ra = try pipeline.generate(a), rb = try pipeline.generate(b)
        #expect(ra.steps == 4 && ra.t5Length == 16)
        #expect(ra.rgb == rb.rgb)
        #expect(ra.pixels.allSatisfy { $0.isFinite && $0 >= 0 && $0 <= 1 })
        let text = GenerationMetadata.a1111(ra, model: "schnell", guidanceDistilled: false, version: "bantam test").text
        #expect(!text.contains("Distilled CFG Scale"))
    }

    /// A whole 32×32 image on the CPU, from prompt to pixels, in seconds (time printed).
    @Test func wholeImageOnTheCPUInSeconds() throws {
        let start = Self.now()
        let pipeline = try FluxPipeline(files: try FluxModelFiles.resolve(model: Self.tiny("diffusers")), backend: CPUBackend.shared)
        let loaded = Self.now()
        var request = Self.request()
        request.steps = 4
        request.t5Length = 32
        let result = try pipeline.generate(request)
        let done = Self.now()
        let png = PNGEncoder.encode(rgb: result.rgb, width: 32, height: 32, text: [])
        let t = result.timings
        print("tiny FLUX.1-dev 32x32, 4 steps on \(CPUBackend.shared.threads) threads: load \(loaded - start) s, encode \(t.encode) s, denoise \(t.denoise) s, decode \(t.decode) s, total \(done - start) s; PNG \(png.count) bytes")
        #expect(done - start < 30)
        #expect(result.rgb.count == 32 * 32 * 3)
    }

    /// The metadata: A1111 text with the true-CFG pair and the negative prompt; valid JSON with every field.
    @Test func metadata() throws {
        let pipeline = try #require(Self.dev)
        var request = Self.request()
        request.prompt = "a \"quoted\", multi-line\nprompt: with ümlauts"
        request.negativePrompt = "blurry"
        request.trueCFG = 1.5
        request.steps = 1
        let result = try pipeline.generate(request)
        let a1111 = GenerationMetadata.a1111(result, model: "diffusers", guidanceDistilled: true, version: "bantam test")
        #expect(a1111.text == "a \"quoted\", multi-line\nprompt: with ümlauts\nNegative prompt: blurry\nSteps: 1, Sampler: Euler, Schedule type: Simple, CFG scale: 1.5, Distilled CFG Scale: 3.5, Seed: 42, Size: 32x32, Model: diffusers, Version: bantam test")
        let json = GenerationMetadata.json(result, files: pipeline.files, device: "cpu", version: "bantam test")
        let object = try #require(try JSONParser.parse(json).objectValue)
        #expect(object["prompt"]?.stringValue == request.prompt)
        #expect(object["seed"]?.integerValue == 42 && object["steps"]?.integerValue == 1)
        #expect(object["true_cfg"]?.doubleValue == 1.5 && object["guidance"]?.doubleValue == 3.5)
        #expect(object["seconds"]?.objectValue?["total"]?.doubleValue != nil)
        #expect(object["noise"] == .null)
    }
}
