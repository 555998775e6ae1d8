import BantamCore
import BantamCPU
import BantamIO
import BantamModels
import BantamNN
import BantamTestSupport
import Testing

/// Damaged and mismatched checkpoints: every problem is reported, by name, in one line; nothing crashes.
@Suite struct VAELoadErrorTests {
    let cpu = CPUBackend.shared
    let tiny = AutoencoderConfig(channels: 8, channelMultipliers: [1, 2], resBlocks: 1, latentChannels: 16, groups: 4)

    /// The tiny fixture in `layout`, edited.
    func damaged(_ path: String, _ edit: (inout [String: Tensor]) throws -> Void) throws -> InMemoryTensorSource {
        let file = try Checkpoint(path: Fixtures.fluxTiny(path))
        var tensors: [String: Tensor] = [:]
        for key in file.keys { tensors[key] = try file.load(key, on: cpu) }
        try edit(&tensors)
        return InMemoryTensorSource(tensors, description: "damaged.safetensors")
    }

    func loadError(_ source: any TensorSource, _ layout: AutoencoderLayout) throws -> WeightMapError {
        try #require(throws: WeightMapError.self) {
            try FluxAutoencoder.load(from: source, layout: layout, config: tiny, backend: cpu)
        }
    }

    @Test func bflMissingMisshapedAndUnexpectedAreAllNamed() throws {
        let source = try damaged("bfl/ae.safetensors") { t in
            t["decoder.up.0.block.1.conv2.weight"] = nil
            t["encoder.mid.attn_1.q.weight"] = try t["encoder.mid.attn_1.q.weight"]!.reshape([16, 16])
            t["quant_conv.weight"] = try Tensor.zeros([32, 32, 1, 1], on: cpu)
        }
        let error = try loadError(source, .bfl)
        #expect(error.problems.count == 3)
        let text = error.description
        #expect(text.contains("damaged.safetensors does not match FLUX autoencoder, BFL layout"))
        #expect(text.contains("1 missing: decoder.up.0.block.1.conv2.weight"))
        #expect(text.contains("1 misshaped: encoder.mid.attn_1.q.weight (is [16, 16], expected [16, 16, 1, 1])"))
        #expect(text.contains("1 unexpected: quant_conv.weight"))
        #expect(!text.contains("\n"))
    }

    @Test func diffusersProblemsNameTheDiffusersKeys() throws {
        let source = try damaged("diffusers/vae/diffusion_pytorch_model.safetensors") { t in
            t["decoder.up_blocks.1.resnets.0.conv_shortcut.weight"] = nil                 // BFL up.0 block.0 nin_shortcut
            t["encoder.down_blocks.0.downsamplers.0.conv.bias"] = try Tensor.zeros([9], on: cpu)
            t["decoder.mid_block.attentions.0.to_k.weight"] = nil
        }
        let text = try loadError(source, .diffusers).description
        #expect(text.contains("damaged.safetensors does not match FLUX autoencoder, diffusers layout"))
        #expect(text.contains("2 missing:"))
        #expect(text.contains("decoder.up_blocks.1.resnets.0.conv_shortcut.weight"))
        #expect(text.contains("decoder.mid_block.attentions.0.to_k.weight"))
        #expect(text.contains("1 misshaped: encoder.down_blocks.0.downsamplers.0.conv.bias (is [9], expected [8])"))
    }

    @Test func wrongLayoutIsReportedWithAHint() throws {
        let bfl = try Checkpoint(path: Fixtures.fluxTiny("bfl/ae.safetensors"))
        let error = try #require(throws: AutoencoderError.self) { try AutoencoderConfig.infer(from: bfl, layout: .diffusers) }
        #expect(error.message.contains("not a FLUX autoencoder in the diffusers layout"))
        #expect(error.message.contains("(it looks like the bfl layout)"))
        // Loading BFL tensors through the diffusers map reports every tensor, not a crash.
        let mismatch = try loadError(bfl, .diffusers)
        #expect(mismatch.problems.contains { $0.kind == .unexpected && $0.name == "decoder.up.0.block.0.conv1.weight" })

        let comfy = try Checkpoint(path: Fixtures.fluxTiny("comfy/flux1-tiny-dev-aio.safetensors"))
        let prefixed = try #require(throws: AutoencoderError.self) { try AutoencoderConfig.infer(from: comfy, layout: .bfl) }
        #expect(prefixed.message.contains("under the prefix 'vae.'"))

        let transformer = try Checkpoint(path: Fixtures.fluxTiny("bfl/flux1-tiny-dev.safetensors"))
        let notAE = try #require(throws: AutoencoderError.self) { try AutoencoderConfig.infer(from: transformer, layout: .bfl) }
        #expect(notAE.message.contains("has no encoder.conv_in.weight: not a FLUX autoencoder in the bfl layout"))
    }

    @Test func aGapInTheLevelsIsNamed() throws {
        let source = try damaged("bfl/ae.safetensors") { t in
            for key in t.keys where key.hasPrefix("encoder.down.0.") { t[key] = nil }
        }
        let error = try #require(throws: AutoencoderError.self) { try AutoencoderConfig.infer(from: source, layout: .bfl) }
        #expect(error.message == "damaged.safetensors: encoder levels are numbered up to 1 but encoder.down.{0} are missing; the checkpoint is incomplete")
    }

    @Test func badInputsThrowOneLineErrors() throws {
        let model = try FluxAutoencoder.load(from: try Checkpoint(path: Fixtures.fluxTiny("bfl/ae.safetensors")),
                                             layout: .bfl, config: tiny, backend: cpu)
        let cases: [(() throws -> Tensor, String)] = [
            ({ try model.decode(Tensor.zeros([1, 4, 8, 8], on: cpu)) }, "autoencoder: the latent tensor has shape [1, 4, 8, 8]; expected [B, 16, H, W]"),
            ({ try model.decodeRaw(Tensor.zeros([16, 8, 8], on: cpu)) }, "autoencoder: the latent tensor has shape [16, 8, 8]; expected [B, 16, H, W]"),
            ({ try model.encode(Tensor.zeros([1, 16, 8, 8], on: cpu)) }, "autoencoder: the image tensor has shape [1, 16, 8, 8]; expected [B, 3, H, W]"),
            ({ try model.encode(Tensor(ints: [Int](repeating: 0, count: 48), shape: [1, 3, 4, 4], on: cpu)) }, "autoencoder: the image tensor is i32; give f32, f16 or bf16"),
        ]
        for (call, message) in cases {
            let error = try #require(throws: AutoencoderError.self) { _ = try call() }
            #expect(error.message == message)
        }
        // Too small to downsample: an op error, not a crash.
        #expect(throws: (any Error).self) { try model.encode(Tensor.zeros([1, 3, 1, 1], on: cpu)) }
    }
}
