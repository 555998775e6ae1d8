import BantamCore
import Foundation
import BantamModels
import BantamNN
import BantamTestSupport
import Testing

/// Config inference and strict loading on the real FLUX.1-dev and -schnell key sets (names and shapes from
/// diffusers 0.42.1 and the BFL module tree: scripts/goldens/flux_transformer_goldens.py), with placeholder
/// tensors that hold no data, on a backend that computes nothing.
@Suite("FLUX transformer, full-size key sets")
struct FluxFullSizeTests {
    /// The key set `flux-transformer/keys/<name>.txt` as bf16 placeholders of the real shapes. On the
    /// shape-only backend a fresh tensor holds no memory, and unlike a zero-stride view it is contiguous
    /// like a real weight (so `linear` does not copy it and the memory meter sees only activations).
    static func keySet(_ name: String, backend: FluxShapeOnlyBackend, prefix: String = "") throws -> InMemoryTensorSource {
        let text = try String(contentsOfFile: Fixtures.path("flux-transformer/keys/\(name).txt"), encoding: .utf8)
        var tensors: [String: Tensor] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ")
            let dims = parts[1].split(separator: ",").map { Int($0)! }
            tensors[prefix + String(parts[0])] = try backend.empty(Shape(dims), dtype: .bf16)
        }
        return InMemoryTensorSource(tensors, description: name)
    }

    /// Builds the model over `source` and returns the loader's verdict.
    static func load(_ source: any TensorSource, layout: FluxLayout, config: FluxTransformerConfig,
                     backend: FluxShapeOnlyBackend) throws -> FluxTransformer {
        let loader = WeightLoader(source: source, layout: layout.weightLayout, backend: backend)
        let model = try FluxTransformer(config: config, loader: loader)
        try loader.finish()
        return model
    }

    @Test("config inference recognizes FLUX.1-dev and -schnell in both layouts", arguments: [
        ("flux1-dev-bfl", FluxLayout.bfl, true, 780), ("flux1-schnell-bfl", .bfl, false, 776),
        ("flux1-dev-diffusers", .diffusers, true, 1160), ("flux1-schnell-diffusers", .diffusers, false, 1156),
    ])
    func inference(name: String, layout: FluxLayout, dev: Bool, keyCount: Int) throws {
        let backend = FluxShapeOnlyBackend()
        let source = try Self.keySet(name, backend: backend)
        #expect(source.keys.count == keyCount)
        let config = try FluxTransformerConfig.infer(from: source, layout: layout)
        #expect(config == FluxTransformerConfig.flux1(guidanceEmbed: dev))
        #expect(config.guidanceEmbed == dev && config.doubleBlocks == 19 && config.singleBlocks == 38)
        #expect(config.hidden == 3072 && config.heads == 24 && config.headDim == 128 && config.mlpHidden == 12288)
        #expect(config.axesDim == [16, 56, 56] && config.theta == 10_000)
    }

    @Test("both layouts load strictly at full size (every tensor used, shapes checked)", arguments: [
        ("flux1-dev-bfl", FluxLayout.bfl), ("flux1-schnell-bfl", .bfl),
        ("flux1-dev-diffusers", .diffusers), ("flux1-schnell-diffusers", .diffusers),
    ])
    func strictLoad(name: String, layout: FluxLayout) throws {
        let backend = FluxShapeOnlyBackend()
        let source = try Self.keySet(name, backend: backend)
        let config = try FluxTransformerConfig.infer(from: source, layout: layout)
        let model = try Self.load(source, layout: layout, config: config, backend: backend)
        #expect(model.doubleBlocks.count == 19 && model.singleBlocks.count == 38)
        #expect(model.singleBlocks[37].linear1.weight.shape == [21504, 3072])
        #expect(model.doubleBlocks[18].txtAttn.qkv.weight.shape == [9216, 3072])
        #expect(model.finalLayer.adaLNModulation.weight.shape == [6144, 3072])
        #expect((model.guidanceIn != nil) == config.guidanceEmbed)
    }

    @Test("ComfyUI all-in-one: BFL names under model.diffusion_model., next to other components")
    func comfyPrefix() throws {
        let backend = FluxShapeOnlyBackend()
        let base = try Self.keySet("flux1-dev-bfl", backend: backend, prefix: FluxLayout.comfyPrefix)
        var tensors = base.tensors
        let other = try Tensor.zeros([1], dtype: .bf16, on: backend)
        tensors["text_encoders.clip_l.transformer.text_model.final_layer_norm.weight"] = other
        tensors["vae.decoder.conv_in.bias"] = other
        let file = InMemoryTensorSource(tensors, description: "all-in-one")
        let source = PrefixedTensorSource(file, prefix: FluxLayout.comfyPrefix)
        let config = try FluxTransformerConfig.infer(from: source, layout: .bfl)
        #expect(config == FluxTransformerConfig.flux1(guidanceEmbed: true))
        _ = try Self.load(source, layout: .bfl, config: config, backend: backend)
        // Without the prefix, the file is not a FLUX transformer in the BFL layout.
        #expect(throws: FluxConfigError.self) { try FluxTransformerConfig.infer(from: file, layout: .bfl) }
    }

    @Test("dev weights with a schnell config (and the reverse) are rejected by name")
    func variantMismatch() throws {
        let backend = FluxShapeOnlyBackend()
        let dev = try Self.keySet("flux1-dev-bfl", backend: backend)
        let error = try #require(throws: WeightMapError.self) {
            _ = try Self.load(dev, layout: .bfl, config: .flux1(guidanceEmbed: false), backend: backend)
        }
        #expect(error.problems.count == 4)
        #expect(error.problems.allSatisfy { $0.kind == .unexpected && $0.name.hasPrefix("guidance_in.") })

        let schnell = try Self.keySet("flux1-schnell-diffusers", backend: backend)
        let error2 = try #require(throws: WeightMapError.self) {
            _ = try Self.load(schnell, layout: .diffusers, config: .flux1(guidanceEmbed: true), backend: backend)
        }
        #expect(Set(error2.problems.map(\.name)) == [
            "time_text_embed.guidance_embedder.linear_1.weight", "time_text_embed.guidance_embedder.linear_1.bias",
            "time_text_embed.guidance_embedder.linear_2.weight", "time_text_embed.guidance_embedder.linear_2.bias",
        ])
        #expect(error2.problems.allSatisfy { $0.kind == .missing })
    }

    @Test("a layout mismatch is a one-line config error naming the missing tensor")
    func wrongLayout() throws {
        let backend = FluxShapeOnlyBackend()
        let diffusers = try Self.keySet("flux1-dev-diffusers", backend: backend)
        let error = try #require(throws: FluxConfigError.self) { try FluxTransformerConfig.infer(from: diffusers, layout: .bfl) }
        #expect(error.description.contains("img_in.weight") && !error.description.contains("\n"))
        let bfl = try Self.keySet("flux1-dev-bfl", backend: backend)
        let error2 = try #require(throws: FluxConfigError.self) { try FluxTransformerConfig.infer(from: bfl, layout: .diffusers) }
        #expect(error2.description.contains("x_embedder.weight"))
    }

    /// The whole forward of the 12B model at 1024×1024 (4096 image + 512 text tokens) on the shape-only
    /// backend: every op's shape and dtype checks run, nothing is computed. The bytes the activations would
    /// hold at the peak are measured in units of one [L, 3072] bf16 activation (28 MB at this size; kernel
    /// scratch such as the attention kernel's is not counted).
    @Test("full-size forward at 1024×1024: shapes check out end to end, peak activation memory stays small")
    func fullSizeForward() throws {
        let backend = FluxShapeOnlyBackend()
        let source = try Self.keySet("flux1-dev-bfl", backend: backend)
        let model = try Self.load(source, layout: .bfl, config: .flux1(guidanceEmbed: true), backend: backend)
        let (imageTokens, textTokens) = (4096, 512)
        let img = try backend.empty([1, imageTokens, 64], dtype: .bf16)
        let txt = try backend.empty([1, textTokens, 4096], dtype: .bf16)
        let y = try backend.empty([1, 768], dtype: .bf16)
        let imgIds = try FluxPositions.imageIds(height: 64, width: 64, on: backend)
        let txtIds = try FluxPositions.textIds(length: textTokens, on: backend)
        let t = try Tensor([1], shape: [1], on: backend), g = try Tensor([3.5], shape: [1], on: backend)
        backend.meter.resetPeak()
        let before = backend.meter.live
        let out = try model(img: img, imgIds: imgIds, txt: txt, txtIds: txtIds, timesteps: t, y: y, guidance: g)
        #expect(out.shape == [1, imageTokens, 64] && out.dtype == .bf16)
        let activation = Double((imageTokens + textTokens) * 3072 * 2)
        let peak = Double(backend.meter.peak - before) / activation
        let total = Double(backend.meter.total) / activation
        print("FLUX.1-dev forward, 1024×1024, bf16: peak \(peak) and total \(total) × [L, 3072] activations")
        // Measured 14.1 in a debug build. The floor is about 11: a single block's linear2 input
        // cat(attention, gelu(mlp)) is 5 activations wide, its two parts 5 more, plus the residual stream.
        #expect(peak < 16)
    }
}
