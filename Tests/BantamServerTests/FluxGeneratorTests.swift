import BantamCore
import BantamCPU
import BantamPipeline
import BantamServer
import BantamTestSupport
import NIOConcurrencyHelpers
import Testing

/// The real generator on the tiny FLUX model (Tests/Fixtures/flux-tiny): it passes every parameter to the
/// pipeline, reports progress and previews, stops when cancelled, and its images reach the API intact.
@Suite struct FluxGeneratorTests {
    static let modelPath = Fixtures.fluxTiny("diffusers")
    static var model: ModelEntry { FluxModelInspector.inspect(id: "flux-tiny", path: modelPath) }
    static let device = ComputeDevice(kind: .cpu, index: 0, name: "CPU")

    static func generator() -> FluxImageGenerator {
        FluxImageGenerator(version: "bantam test") { _ in CPUBackend.shared }
    }

    @Test func inspectorAcceptsCompleteModelsOnly() throws {
        let tiny = Self.model
        #expect(tiny.usable, "\(tiny.problem ?? "")")
        #expect(tiny.summary.contains("FLUX.1"))
        let partial = FluxModelInspector.inspect(id: "vae", path: Fixtures.fluxTiny("diffusers/vae"))
        #expect(!partial.usable)
        #expect(partial.problem?.isEmpty == false && partial.problem?.contains("\n") == false)
    }

    /// Same pixels as the pipeline called directly with the same settings (seed, steps, guidance, true CFG
    /// with the negative prompt, size).
    @Test func imagesMatchThePipelineCalledDirectly() async throws {
        let seed = UInt64.random(in: 0...100_000)
        let parameters = GenerationParameters(prompt: "a photo of a cyberpunk city at night", negativePrompt: "blurry",
                                              seed: seed, steps: 3, guidance: 2.5, cfgScale: 2, width: 32, height: 48,
                                              model: "flux-tiny")
        let reports = NIOLockedValueBox([GenerationProgress]())
        let image = try await Self.generator().generate(
            ImageRequest(jobID: "j", parameters: parameters, seed: seed, index: 0, model: Self.model, device: Self.device),
            cancellation: CancellationFlag()) { report in reports.withLockedValue { $0.append(report) } }

        let pipeline = try FluxPipeline(files: try FluxModelFiles.resolve(model: Self.modelPath), backend: CPUBackend.shared)
        let direct = try pipeline.generate(GenerationRequest(prompt: parameters.prompt, negativePrompt: "blurry", width: 32,
                                                             height: 48, steps: 3, guidance: 2.5, trueCFG: 2, seed: seed))
        #expect(image.image.width == 32 && image.image.height == 48)
        #expect(image.image.pixels == direct.rgb, "seed \(seed)")
        let text = image.pngText.first { $0.keyword == "parameters" }?.text ?? ""
        #expect(text.contains("Seed: \(seed)") && text.contains("Steps: 3") && text.contains("Negative prompt: blurry"))

        let steps = reports.withLockedValue { $0 }.filter { $0.phase == .denoising || $0.phase == .decoding }.map(\.step)
        #expect(steps == [1, 2, 3])
        #expect(reports.withLockedValue { $0 }.first?.phase == .loading)   // the first job loads the model
    }

    @Test func previewsShowTheLatentsEveryFewSteps() async throws {
        let parameters = GenerationParameters(prompt: "preview", seed: 1, steps: 8, width: 32, height: 32, model: "flux-tiny")
        let previews = NIOLockedValueBox([Int: RGBImage]())
        _ = try await Self.generator().generate(
            ImageRequest(jobID: "j", parameters: parameters, seed: 1, index: 0, model: Self.model, device: Self.device),
            cancellation: CancellationFlag()) { report in
                if let preview = report.preview { previews.withLockedValue { $0[report.step] = preview } }
            }
        let shown = previews.withLockedValue { $0 }
        #expect(shown.keys.sorted() == Array(1...7))   // every step of 8 (8 / 8 = 1), not the last
        let f = try FluxPipeline(files: try FluxModelFiles.resolve(model: Self.modelPath), backend: CPUBackend.shared).downsampleFactor
        #expect(shown.values.allSatisfy { $0.width == 32 / f && $0.height == 32 / f })   // the latent grid
    }

    @Test func cancellingStopsAfterTheCurrentStep() async throws {
        let parameters = GenerationParameters(prompt: "stop", seed: 2, steps: 6, width: 32, height: 32, model: "flux-tiny")
        let flag = CancellationFlag()
        let steps = NIOLockedValueBox([Int]())
        await #expect(throws: GenerationCancelled.self) {
            _ = try await Self.generator().generate(
                ImageRequest(jobID: "j", parameters: parameters, seed: 2, index: 0, model: Self.model, device: Self.device),
                cancellation: flag) { report in
                    if report.step > 0 { steps.withLockedValue { $0.append(report.step) } }
                    if report.step == 2 { flag.cancel() }
                }
        }
        #expect(steps.withLockedValue { $0 } == [1, 2])
    }

    @Test func serverWithTheTinyModelServesTheImage() async throws {
        let server = try await TestServer(generator: Self.generator(), models: [Self.model])
        defer { Task { await server.stop() } }
        let id = try await server.submit(#"{"prompt": "a red fox", "seed": 42, "steps": 2, "width": 32, "height": 32}"#)
        let job = try await server.waitFinal(id, timeout: 120)
        #expect(job.string("status") == "succeeded", "\(job)")
        let url = try #require(job.array("images").first?.objectValue?.string("url"))
        let png = try PNGReader.decode(try await server.get(url).body)
        #expect(png.width == 32 && png.height == 32)
        #expect(png.text["parameters"]?.contains("Seed: 42") == true)
        #expect(png.text["bantam"]?.contains("\"seed\":42") == true)
    }
}

/// The preview map: solving, and reading the packed latent layout.
@Suite struct LatentPreviewTests {
    @Test func ridgeRecoversAnExactLinearMap() {
        var rng = SplitMix(seed: UInt64.random(in: 0...UInt64.max))
        let truth = (0..<5).map { _ in Double(rng.next() % 1000) / 500 - 1 }
        let rows = (0..<27).map { _ in (0..<4).map { _ in Double(rng.next() % 1000) / 500 - 1 } + [1] }
        let y = rows.map { row in zip(row, truth).reduce(0) { $0 + $1.0 * $1.1 } }
        let solved = LatentPreview.ridge(rows, y, lambda: 1e-10)
        for (a, b) in zip(solved, truth) { #expect(abs(a - b) < 1e-6, "\(solved) vs \(truth)") }
    }

    /// Packed latents (diffusers' layout) are read back at the right pixels: a map that shows channel 0
    /// in red gives, for each latent pixel, that pixel's channel 0.
    @Test func packedLayoutIsReadPixelByPixel() throws {
        let (c, h, w) = (3, 6, 4)
        let grid = (0..<(c * h * w)).map { Float($0 % 251) / 250 }                       // [1, C, h, w]
        let packed = try LatentPacking.pack(try Tensor(grid, shape: [1, c, h, w], on: CPUBackend.shared))
        let zero = try Tensor([Float](repeating: 0, count: grid.count), shape: packed.shape, on: CPUBackend.shared)
        let map = LatentPreview(weights: [[1, 0, 0], [0, 1, 0], [0, 0, 1]], bias: [0, 0, 0])
        let image = try map.image(latents: packed, velocity: zero, sigma: 0.5, height: h, width: w)
        for y in 0..<h {
            for x in 0..<w {
                for ch in 0..<3 {
                    let expected = UInt8((Double(grid[(ch * h + y) * w + x]) * 255).rounded())
                    #expect(image.pixels[(y * w + x) * 3 + ch] == expected, "(\(y), \(x), \(ch))")
                }
            }
        }
    }
}
