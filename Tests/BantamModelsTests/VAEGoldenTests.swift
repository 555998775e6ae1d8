import BantamCore
import BantamCPU
import BantamIO
import BantamModels
import BantamNN
import BantamTestSupport
import Testing

/// The tiny AE against diffusers 0.42.1 (Tests/Fixtures/flux-tiny, scripts/goldens/flux_tiny_goldens.py):
/// `vae.decoded` = AutoencoderKL.decode(vae.latents) and `vae.encoded_mean` = encode(vae.image).latent_dist.mean,
/// both without scale or shift, so they are compared with `decodeRaw` / `encodeMean`. Every on-disk layout
/// must give the same numbers.
@Suite struct VAEGoldenTests {
    let cpu = CPUBackend.shared
    /// f32 against torch f32: different summation orders over ~20 layers; measured max abs error 1.7e-6
    /// (decode) and 1.8e-6 (encode), for outputs up to 2.9 in magnitude.
    static let f32Tolerance = (atol: 2e-5, rtol: 2e-5)

    func checkGoldens(_ model: FluxAutoencoder, atol: Double, rtol: Double, label: String) throws {
        let decoded = try model.decodeRaw(VAEFixture.tensor("vae.latents")).cast(to: .f32)
        #expect(decoded.shape == [1, 3, 32, 32])
        let d = compare(try decoded.floats(), try VAEFixture.doubles("vae.decoded"), atol: atol, rtol: rtol)
        #expect(d.violations == 0, "\(label) decode: \(d)")
        let mean = try model.encodeMean(VAEFixture.tensor("vae.image")).cast(to: .f32)
        #expect(mean.shape == [1, 16, 16, 16])
        let e = compare(try mean.floats(), try VAEFixture.doubles("vae.encoded_mean"), atol: atol, rtol: rtol)
        #expect(e.violations == 0, "\(label) encode: \(e)")
        print("VAE \(label): decode max abs err \(d.maxAbs), encode max abs err \(e.maxAbs)")
    }

    @Test func diffusersFolderMatchesDiffusers() throws {
        let source = try Checkpoint(path: Fixtures.fluxTiny("diffusers/vae"))
        let config = try AutoencoderConfig.infer(from: source, layout: .diffusers, diffusersConfig: VAEFixture.diffusersConfig())
        #expect(config.groups == 4 && config.scaleFactor == 0.3611 && config.shiftFactor == 0.1159)
        let model = try FluxAutoencoder.load(from: source, layout: .diffusers, config: config, backend: cpu)
        try checkGoldens(model, atol: Self.f32Tolerance.atol, rtol: Self.f32Tolerance.rtol, label: "diffusers f32")
    }

    @Test func bflFileWithTheSiblingConfigMatchesDiffusers() throws {
        let source = try Checkpoint(path: Fixtures.fluxTiny("bfl/ae.safetensors"))
        // The BFL layout cannot know the tiny model's 4 groups: take them from the diffusers config.
        let config = try AutoencoderConfig.infer(from: source, layout: .bfl, diffusersConfig: VAEFixture.diffusersConfig())
        let model = try FluxAutoencoder.load(from: source, layout: .bfl, config: config, backend: cpu)
        try checkGoldens(model, atol: Self.f32Tolerance.atol, rtol: Self.f32Tolerance.rtol, label: "BFL f32")
    }

    @Test func bflFileWithGroupsSetByHand() throws {
        let source = try Checkpoint(path: Fixtures.fluxTiny("bfl/ae.safetensors"))
        var config = try AutoencoderConfig.infer(from: source, layout: .bfl, diffusersConfig: nil)
        #expect(config == AutoencoderConfig(channels: 8, channelMultipliers: [1, 2], resBlocks: 1, latentChannels: 16, groups: 32))
        config.groups = 4
        let model = try FluxAutoencoder.load(from: source, layout: .bfl, config: config, backend: cpu)
        try checkGoldens(model, atol: Self.f32Tolerance.atol, rtol: Self.f32Tolerance.rtol, label: "BFL groups by hand")
    }

    @Test func comfyAllInOneUnderVAEPrefix() throws {
        let file = try Checkpoint(path: Fixtures.fluxTiny("comfy/flux1-tiny-dev-aio.safetensors"))
        let found = try #require(AutoencoderLayout.locate(in: file))
        #expect(found.layout == .bfl)
        #expect((found.source as? PrefixedTensorSource)?.prefix == "vae.")
        var config = try AutoencoderConfig.infer(from: found.source, layout: found.layout)
        config.groups = 4
        let model = try FluxAutoencoder.load(from: found.source, layout: found.layout, config: config, backend: cpu)
        try checkGoldens(model, atol: Self.f32Tolerance.atol, rtol: Self.f32Tolerance.rtol, label: "ComfyUI vae.")
    }

    @Test func sd3StylePrefix() throws {
        // The BFL tensors under `first_stage_model.`, next to other components' keys.
        let bfl = try Checkpoint(path: Fixtures.fluxTiny("bfl/ae.safetensors"))
        var tensors: [String: Tensor] = [:]
        for key in bfl.keys { tensors["first_stage_model." + key] = try bfl.load(key, on: cpu) }
        tensors["model.diffusion_model.x_embedder.proj.weight"] = try Tensor.zeros([2, 2], on: cpu)
        let file = InMemoryTensorSource(tensors, description: "sd3-like.safetensors")
        let found = try #require(AutoencoderLayout.locate(in: file))
        #expect(found.layout == .bfl)
        #expect((found.source as? PrefixedTensorSource)?.prefix == "first_stage_model.")
        var config = try AutoencoderConfig.infer(from: found.source, layout: .bfl)
        config.groups = 4
        let model = try FluxAutoencoder.load(from: found.source, layout: .bfl, config: config, backend: cpu)
        try checkGoldens(model, atol: Self.f32Tolerance.atol, rtol: Self.f32Tolerance.rtol, label: "first_stage_model.")
    }

    @Test func locateRecognizesBareLayouts() throws {
        let diffusers = try Checkpoint(path: Fixtures.fluxTiny("diffusers/vae"))
        #expect(AutoencoderLayout.locate(in: diffusers)?.layout == .diffusers)
        let bfl = try Checkpoint(path: Fixtures.fluxTiny("bfl/ae.safetensors"))
        #expect(AutoencoderLayout.locate(in: bfl)?.layout == .bfl)
        let transformer = try Checkpoint(path: Fixtures.fluxTiny("bfl/flux1-tiny-dev.safetensors"))
        #expect(AutoencoderLayout.locate(in: transformer) == nil)
    }

    /// bf16 weights and activations (every op rounds its output to bf16, ~3 significant digits): measured
    /// max abs error 0.030 (decode) / 0.030 (encode) for outputs up to 2.9 in magnitude; the bound is 2% of
    /// that magnitude plus 1% of each value (about twice the measured error).
    @Test func bf16ComputeWithinBF16Tolerance() throws {
        let source = try Checkpoint(path: Fixtures.fluxTiny("diffusers/vae"))
        let config = try AutoencoderConfig.infer(from: source, layout: .diffusers, diffusersConfig: VAEFixture.diffusersConfig())
        let model = try FluxAutoencoder.load(from: source, layout: .diffusers, config: config, backend: cpu,
                                             precision: LoadPrecision(compute: .bf16))
        #expect(model.dtype == .bf16)
        #expect(try model.decodeRaw(VAEFixture.tensor("vae.latents")).dtype == .bf16)
        let decodedScale = try VAEFixture.doubles("vae.decoded").map(\.magnitude).max()!
        let meanScale = try VAEFixture.doubles("vae.encoded_mean").map(\.magnitude).max()!
        try checkGoldens(model, atol: 0.02 * max(decodedScale, meanScale), rtol: 0.01, label: "diffusers bf16")
    }

    /// The scaled API is the raw one with FLUX's formula around it: encode = scale·(mean − shift),
    /// decode(z) = decodeRaw(z/scale + shift).
    @Test func scaledAPIAppliesScaleAndShift() throws {
        let source = try Checkpoint(path: Fixtures.fluxTiny("diffusers/vae"))
        let config = try AutoencoderConfig.infer(from: source, layout: .diffusers, diffusersConfig: VAEFixture.diffusersConfig())
        let model = try FluxAutoencoder.load(from: source, layout: .diffusers, config: config, backend: cpu)
        let (scale, shift) = (Double(config.scaleFactor), Double(config.shiftFactor))

        let image = try VAEFixture.tensor("vae.image")
        let raw = try model.encodeMean(image).floats().map(Double.init)
        let scaled = try model.encode(image)
        let e = compare(try scaled.floats(), raw.map { scale * ($0 - shift) }, atol: 1e-6, rtol: 1e-6)
        #expect(e.violations == 0, "encode: \(e)")

        let latents = try VAEFixture.tensor("vae.latents")
        let unscaled = try Tensor(try latents.floats().map { Float(Double($0) / scale + shift) }, shape: latents.shape, on: cpu)
        let expected = try model.decodeRaw(unscaled).floats().map(Double.init)
        let d = compare(try model.decode(latents).floats(), expected, atol: 1e-5, rtol: 1e-5)
        #expect(d.violations == 0, "decode: \(d)")
        // And the formula is not the identity: the scaled latents differ from the raw mean.
        #expect(compare(try scaled.floats(), raw, atol: 1e-3, rtol: 0).violations > 0)
    }
}
