import Foundation
import Testing
import BantamCLI
import BantamCore
import BantamCPU
import BantamIO
import BantamTestSupport

/// `bantam bench flux` on the CPU: the parity path against diffusers' output for the tiny FLUX.1-dev
/// fixture (the same check scripts/peers/flux_step_parity.py runs at full width on the GPU), and its errors.
@Suite("bantam bench flux, in process", .serialized)
struct BenchFluxCommandTests {
    /// An inputs file in bench flux's convention from the fixture's diffusers transformer goldens.
    static func writeInputs(_ path: String, expectedKey: String = "transformer.dev.output", scale: Float = 1) throws {
        let reference = try Checkpoint(path: Fixtures.fluxTiny("reference.safetensors"))
        func t(_ key: String) throws -> Tensor { try reference.tensor(key, on: CPUBackend.shared) }
        var expected = try t(expectedKey)
        if scale != 1 { expected = try Tensor(try expected.floats().map { $0 * scale }, shape: expected.shape, on: CPUBackend.shared) }
        try SafetensorsWriter.write(to: path, tensors: [
            ("img", try t("transformer.img")), ("img_ids", try t("transformer.img_ids")),
            ("txt", try t("transformer.txt")), ("txt_ids", try t("transformer.txt_ids")),
            ("y", try t("transformer.pooled")),
            ("timesteps", try Tensor([0.7], shape: [1], on: CPUBackend.shared)),
            ("guidance", try Tensor([3.5], shape: [1], on: CPUBackend.shared)),
            ("expected", expected),
        ])
    }

    static func arguments(_ inputs: String) -> [String] {
        ["bench", "flux", "--device", "cpu", "--weights", Fixtures.fluxTiny("bfl/flux1-tiny-dev.safetensors"), "--axes", "4,6,6",
         "--inputs", inputs, "--warmup", "0", "--iterations", "1"]
    }

    @Test("the step on diffusers' inputs matches diffusers' output; a wrong expected output shows as a large error")
    func parity() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        try Self.writeInputs(folder.path("inputs.safetensors"))
        let r = await bantam(Self.arguments(folder.path("inputs.safetensors")) + ["--json", "--save-output", folder.path("out.safetensors")])
        #expect(r.code == 0, "\(r.err)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
        let error = try #require(json["relative_error"] as? Double)
        #expect(error < 1e-4, "relative error \(error)")
        #expect(json["image_tokens"] as? Int == 64 && json["dtype"] as? String == "f32")
        let saved = try Checkpoint(path: folder.path("out.safetensors"))
        #expect(saved.info("output")?.shape == [1, 64, 64])

        try Self.writeInputs(folder.path("wrong.safetensors"), scale: 1.1)
        let wrong = await bantam(Self.arguments(folder.path("wrong.safetensors")))
        #expect(wrong.code == 0, "\(wrong.err)")
        #expect(wrong.out.contains("parity: relative error against expected 9.09"), "\(wrong.out)")
    }

    @Test("bad inputs and options get one-line errors")
    func errors() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        try SafetensorsWriter.write(to: folder.path("partial.safetensors"),
                                    tensors: [("img", try Tensor([1, 2], shape: [1, 2], on: CPUBackend.shared))])
        let missing = await bantam(Self.arguments(folder.path("partial.safetensors")))
        #expect(missing.code != 0 && missing.err.contains("has no tensor \"img_ids\""), "\(missing.err)")
        let device = await bantam(["bench", "flux", "--device", "tpu"])
        #expect(device.code != 0 && device.err.contains("--device must be auto, cpu, cuda or cuda:N"), "\(device.err)")
        let axes = await bantam(["bench", "flux", "--device", "cpu", "--weights", Fixtures.fluxTiny("bfl/flux1-tiny-dev.safetensors")])
        #expect(axes.code != 0 && axes.err.contains("RoPE axes"), "\(axes.err)")
    }

    @Test("FLOPs of a full-size step at 1024x1024 are the 74.4 TFLOP of performance.md")
    func flops() {
        let full = BenchFluxFLOPs.step(doubleBlocks: 19, singleBlocks: 38, imageTokens: 4096, textTokens: 512)
        #expect(abs(full / 1e12 - 74.4) < 0.3, "\(full / 1e12)")
    }
}
