import Foundation
import Testing
import BantamCLI
import BantamCore
import BantamCPU
import BantamIO
import BantamPipeline
import BantamTestSupport

/// `bantam generate` end to end on the tiny FLUX.1-dev fixture (scripts/goldens/flux_tiny_goldens.py).
@Suite("bantam generate, in process", .serialized)
struct GenerateCommandTests {
    static let prompt = "a photo of a cyberpunk city at night, intricate details"

    /// The chunks of a PNG file (type, data), without decoding any.
    static func chunks(_ png: [UInt8]) -> [(String, [UInt8])] {
        var out: [(String, [UInt8])] = [], at = 8
        while at + 12 <= png.count {
            let length = Int(png[at]) << 24 | Int(png[at + 1]) << 16 | Int(png[at + 2]) << 8 | Int(png[at + 3])
            out.append((String(decoding: png[(at + 4)..<(at + 8)], as: UTF8.self), Array(png[(at + 8)..<(at + 8 + length)])))
            at += 12 + length
        }
        return out
    }

    @Test("writes a PNG whose pixels are the pipeline's and whose text holds the parameters")
    func writesPNGWithParameters() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let out = folder.path("city.png")
        let r = await bantam(["generate", "--model", Fixtures.fluxTiny("diffusers"), "--prompt", Self.prompt, "--seed", "42",
                              "--steps", "4", "--width", "32", "--height", "32", "--t5-length", "32", "--out", out])
        #expect(r.code == 0, "\(r.err)")
        #expect(r.out.contains("Seed 42, 32x32, 4 steps, guidance 3.5"))
        #expect(r.out.contains("Wrote \(out)"))
        #expect(r.err.contains("step 1/4") && r.err.contains("step 4/4") && r.err.contains("done"), "progress lines go to stderr: \(r.err)")
        let png = [UInt8](try Data(contentsOf: URL(fileURLWithPath: out)))
        let chunks = Self.chunks(png)
        #expect(chunks.map(\.0) == ["IHDR", "tEXt", "tEXt", "IDAT", "IEND"])
        // The A1111/Forge parameters.
        let parameters = try #require(chunks.first { $0.0 == "tEXt" && $0.1.starts(with: Array("parameters\0".utf8)) })
        let text = String(decoding: parameters.1.dropFirst("parameters\0".utf8.count), as: UTF8.self)
        #expect(text == "\(Self.prompt)\nSteps: 4, Sampler: Euler, Schedule type: Simple, CFG scale: 1, Distilled CFG Scale: 3.5, Seed: 42, Size: 32x32, Model: diffusers, Version: bantam \(BantamVersion.current)")
        // Bantam's own JSON: the model path and the seed; timings present.
        let bantamChunk = try #require(chunks.first { $0.0 == "tEXt" && $0.1.starts(with: Array("bantam\0".utf8)) })
        let json = try #require(try JSONSerialization.jsonObject(with: Data(bantamChunk.1.dropFirst(7))) as? [String: Any])
        #expect(json["seed"] as? Int == 42 && json["model"] as? String == Fixtures.fluxTiny("diffusers"))
        #expect(json["steps"] as? Int == 4 && json["t5_length"] as? Int == 32)
        #expect((json["seconds"] as? [String: Any])?["denoise"] != nil)
        // The pixels are those of the same generation in process.
        let pipeline = try FluxPipeline(files: try FluxModelFiles.resolve(model: Fixtures.fluxTiny("diffusers")), backend: CPUBackend.shared)
        let result = try pipeline.generate(GenerationRequest(prompt: Self.prompt, width: 32, height: 32, steps: 4, seed: 42, t5Length: 32))
        let expected = Self.chunks(PNGEncoder.encode(rgb: result.rgb, width: 32, height: 32, text: []))
        #expect(chunks.first { $0.0 == "IDAT" }?.1 == expected.first { $0.0 == "IDAT" }?.1)
        // No temporary file is left next to the output.
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.root) == ["city.png"])
    }

    @Test("--noise FILE replaces the seeded draw (same noise, same image)")
    func noiseFile() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        var generator = TorchGenerator(seed: 42)
        let noise = try Tensor(generator.randn(count: 16 * 8 * 8), shape: [1, 16, 8, 8], on: CPUBackend.shared)
        try SafetensorsWriter.write(to: folder.path("noise.safetensors"), tensors: [("noise", noise)])
        let common = ["generate", "--model", Fixtures.fluxTiny("diffusers"), "--prompt", "x", "--steps", "2",
                      "--width", "16", "--height", "16", "--t5-length", "8"]
        let seeded = await bantam(common + ["--seed", "42", "--out", folder.path("a.png")])
        let fromFile = await bantam(common + ["--seed", "7", "--noise", folder.path("noise.safetensors"), "--out", folder.path("b.png")])
        #expect(seeded.code == 0 && fromFile.code == 0, "\(seeded.err) \(fromFile.err)")
        let a = Self.chunks([UInt8](try Data(contentsOf: URL(fileURLWithPath: folder.path("a.png")))))
        let b = Self.chunks([UInt8](try Data(contentsOf: URL(fileURLWithPath: folder.path("b.png")))))
        #expect(a.first { $0.0 == "IDAT" }?.1 == b.first { $0.0 == "IDAT" }?.1)
        let json = String(decoding: b.first { $0.1.starts(with: Array("bantam\0".utf8)) }?.1 ?? [], as: UTF8.self)
        #expect(json.contains("\"noise\":\"\(folder.path("noise.safetensors"))\""))
        let wrong = await bantam(common + ["--width", "32", "--noise", folder.path("noise.safetensors"), "--out", folder.path("c.png")])
        #expect(wrong.code == 1 && wrong.err.contains("[1, 16, 8, 16]"), "\(wrong.err)")
    }

    @Test("seed -1 picks a seed, prints it and stores it")
    func randomSeed() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let out = folder.path("r.png")
        let r = await bantam(["generate", "--model", Fixtures.fluxTiny("diffusers"), "--prompt", "x", "--steps", "1",
                              "--width", "16", "--height", "16", "--t5-length", "8", "--out", out])
        #expect(r.code == 0, "\(r.err)")
        let seedText = try #require(r.out.split(separator: "\n").first { $0.hasPrefix("Seed ") })
        let seed = String(seedText.dropFirst(5).prefix { $0.isNumber })
        #expect(UInt64(seed) != nil)
        let png = [UInt8](try Data(contentsOf: URL(fileURLWithPath: out)))
        let text = Self.chunks(png).filter { $0.0 == "tEXt" }.map { String(decoding: $0.1, as: UTF8.self) }
        #expect(text.contains { $0.contains("Seed: \(seed),") })
    }

    @Test("bad input: one-line errors and exit statuses")
    func errors() async throws {
        let t5 = await bantam(["generate", "--model", Fixtures.fluxTiny("bfl/t5xxl.safetensors"), "--prompt", "x", "--out", "/tmp/never.png"])
        #expect(t5.code == 1)
        #expect(t5.err.hasPrefix("error: ") && t5.err.contains("--t5") && t5.err.filter { $0 == "\n" }.count == 1, "\(t5.err)")
        let size = await bantam(["generate", "--model", Fixtures.fluxTiny("diffusers"), "--prompt", "x", "--width", "1000"])
        #expect(size.code == 2)
        #expect(size.err.contains("multiple of 16") && size.err.contains("992 or 1008"), "\(size.err)")
        let seed = await bantam(["generate", "--model", Fixtures.fluxTiny("diffusers"), "--prompt", "x", "--seed", "-5"])
        #expect(seed.code == 2 && seed.err.contains("--seed"), "\(seed.err)")
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let unwritable = await bantam(["generate", "--model", Fixtures.fluxTiny("diffusers"), "--prompt", "x", "--steps", "1",
                                       "--width", "16", "--height", "16", "--t5-length", "4", "--seed", "1",
                                       "--out", folder.path("missing/dir/x.png")])
        #expect(unwritable.code == 1 && unwritable.err.contains("cannot create"), "\(unwritable.err)")
    }
}
