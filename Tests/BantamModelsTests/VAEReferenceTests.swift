import BantamCore
import BantamCPU
import BantamModels
import BantamNN
import BantamTestSupport
import Testing

/// The model against the float64 reference autoencoder on random weights, at configurations and sizes
/// the golden fixture does not have: three levels with non-monotonic widths (so both kinds of shortcut
/// appear), two res blocks, 2 input and 4 output channels, batch 2, odd image sizes. Loaded through both
/// layouts (the diffusers tensors are the same values under the names written out in VAEKeys).
@Suite struct VAEReferenceTests {
    let cpu = CPUBackend.shared
    let plan = VAEKeys.Plan(channels: 2, multipliers: [1, 3, 2], resBlocks: 2, latent: 3, inChannels: 2, outChannels: 4)
    var config: AutoencoderConfig {
        AutoencoderConfig(inChannels: 2, outChannels: 4, channels: 2, channelMultipliers: [1, 3, 2], resBlocks: 2,
                          latentChannels: 3, groups: 2)
    }

    /// The same weights under diffusers names (attention projections squeezed to [C, C]).
    func diffusersSource(_ bfl: InMemoryTensorSource) throws -> InMemoryTensorSource {
        let bflKeys = VAEKeys.bfl(plan), diffusersKeys = VAEKeys.diffusers(plan)
        #expect(bflKeys.count == diffusersKeys.count)
        var tensors: [String: Tensor] = [:]
        for ((from, _), (to, shape)) in zip(bflKeys, diffusersKeys) {
            tensors[to] = try bfl.tensors[from]!.reshape(shape)
        }
        return InMemoryTensorSource(tensors, description: "random AE, diffusers names")
    }

    @Test func matchesFloat64ReferenceInBothLayouts() throws {
        var rng = TestRNG()
        let (bfl, values) = try VAEKeys.random(VAEKeys.bfl(plan), rng: &rng)
        let reference = ReferenceAutoencoder(weights: values, channels: 2, multipliers: [1, 3, 2], resBlocks: 2,
                                             latentChannels: 3, groups: 2)
        let (image, imageValues) = try rng.tensor([2, 2, 13, 10], on: cpu)
        let (latents, latentValues) = try rng.tensor([1, 3, 3, 5], on: cpu)
        let expectedMean = reference.encodeMean(.init(imageValues, [2, 2, 13, 10]))
        let expectedImage = reference.decoder(.init(latentValues, [1, 3, 3, 5]))
        #expect(expectedMean.shape == [2, 3, 3, 2])     // 13×10 -> 6×5 -> 3×2
        #expect(expectedImage.shape == [1, 4, 12, 20])

        for (layout, source) in [(AutoencoderLayout.bfl, bfl as any TensorSource), (.diffusers, try diffusersSource(bfl))] {
            #expect(try AutoencoderConfig.infer(from: source, layout: layout) == config.with(groups: 32))
            let model = try FluxAutoencoder.load(from: source, layout: layout, config: config, backend: cpu)
            let mean = try model.encodeMean(image)
            #expect(mean.shape == Shape(expectedMean.shape))
            let e = compare(try mean.floats(), expectedMean.values, atol: 1e-4, rtol: 1e-4)
            #expect(e.violations == 0, "seed \(rng.seed), \(layout) encode: \(e)")
            let decoded = try model.decodeRaw(latents)
            #expect(decoded.shape == Shape(expectedImage.shape))
            let d = compare(try decoded.floats(), expectedImage.values, atol: 1e-4, rtol: 1e-4)
            #expect(d.violations == 0, "seed \(rng.seed), \(layout) decode: \(d)")
            print("VAE random \(layout): encode max abs err \(e.maxAbs), decode max abs err \(d.maxAbs)")
        }
    }
}

extension AutoencoderConfig {
    func with(groups: Int) -> AutoencoderConfig {
        var copy = self
        copy.groups = groups
        return copy
    }
}
