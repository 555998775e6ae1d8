import BantamCore
import BantamCPU
import BantamIO
import BantamModels
import BantamNN
import BantamQuant
import BantamTestSupport
import Testing

/// The tiny FLUX fixture through every quantized path: files written by `bantam quantize`, quantize on
/// load, the diffusers layout's fused projections from quantized parts, and a Forge-style NF4 + fp8
/// all-in-one file. Quality is the output's signal-to-noise ratio against diffusers' f32 output.
enum TinyFlux {
    static let cpu = QuantFixtures.cpu
    static let axes = [4, 6, 6]

    static func bfl() throws -> Checkpoint { try Checkpoint(path: Fixtures.fluxTiny("bfl/flux1-tiny-dev.safetensors")) }

    /// Builds the model strictly; config inference reads the logical (unpacked) shapes of quantized weights.
    static func load(_ source: any TensorSource, layout: FluxLayout = .bfl, precision: LoadPrecision = .asStored) throws -> FluxTransformer {
        let view = try QuantizedTensorSource.view(source, host: cpu)
        let config = try FluxTransformerConfig.infer(from: view, layout: layout, axesDim: axes)
        let loader = WeightLoader(source: view, layout: layout.weightLayout, backend: cpu, precision: precision)
        let model = try FluxTransformer(config: config, loader: loader)
        try loader.finish()
        return model
    }

    /// One dev forward on the fixture's inputs (t = 0.7, guidance 3.5), f32.
    static func forward(_ model: FluxTransformer) throws -> [Float] {
        let ref = try Checkpoint(path: Fixtures.fluxTiny("reference.safetensors"))
        func input(_ name: String) throws -> Tensor { try ref.tensor("transformer." + name, on: cpu) }
        return try model(img: try input("img"), imgIds: try input("img_ids"), txt: try input("txt"), txtIds: try input("txt_ids"),
                         timesteps: try Tensor([0.7], shape: [1], on: cpu), y: try input("pooled"),
                         guidance: try Tensor([3.5], shape: [1], on: cpu)).floats()
    }

    static func reference() throws -> [Float] {
        try Checkpoint(path: Fixtures.fluxTiny("reference.safetensors")).tensor("transformer.dev.output", on: cpu).floats()
    }

    /// `bantam quantize IN --to FORMAT [--precision P] --out <folder>/<name>`; returns the output path.
    static func quantize(_ input: String, to format: String, precision: String? = nil, in folder: TemporaryFolder,
                         name: String) async throws -> String {
        let out = folder.file(name)
        var args = ["quantize", input, "--to", format, "--out", out]
        if let precision { args += ["--precision", precision] }
        let r = await bantam(args)
        #expect(r.code == 0, "\(r.err)")
        return out
    }
}

extension LinearWeight {
    var kind: String {
        switch self {
        case .dense: return "dense"
        case .fp8: return "fp8"
        case .nf4: return "nf4"
        }
    }
}

@Suite("FLUX transformer with quantized weights")
struct FluxQuantizedTests {
    let cpu = QuantFixtures.cpu

    /// Lower bounds on the output SNR against diffusers' f32 output (dB). Measured on this fixture
    /// (hidden 32, 2 + 2 blocks, N(0, 1/fan_in) weights): printed by the test; bounds are 3 dB below.
    static let bounds: [String: Double] = ["fp8": 22, "fp8-scaled": 22, "nf4": 12]

    @Test("bantam quantize → reload → forward, for each format", arguments: ["fp8", "fp8-scaled", "nf4"])
    func roundTrip(_ format: String) async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let path = try await TinyFlux.quantize(Fixtures.fluxTiny("bfl/flux1-tiny-dev.safetensors"), to: format, in: folder, name: "q.safetensors")
        let model = try TinyFlux.load(try Checkpoint(path: path))
        let expectedKind = format == "nf4" ? "nf4" : "fp8"
        #expect(model.doubleBlocks[0].imgAttn.qkv.weight.kind == expectedKind)
        #expect(model.singleBlocks[1].linear1.weight.kind == expectedKind)
        #expect(model.imgIn.weight.kind == "dense" && model.finalLayer.linear.weight.kind == "dense")
        let output = try TinyFlux.forward(model), reference = try TinyFlux.reference()
        let db = snr(reference, output)
        print("FLUX tiny, bantam quantize --to \(format): output SNR \(db) dB against diffusers f32")
        #expect(db >= Self.bounds[format]!)
        #expect(db < 60)   // really quantized
    }

    @Test("quantize on load gives the same model as quantizing the file (nf4, fp8-scaled); per-row fp8 beats the plain cast")
    func quantizeOnLoad() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let input = Fixtures.fluxTiny("bfl/flux1-tiny-dev.safetensors")
        for (file, policy) in [("nf4", "transformer=nf4"), ("fp8-scaled", "transformer=fp8-scaled")] {
            let fromFile = try TinyFlux.forward(TinyFlux.load(try Checkpoint(path: try await TinyFlux.quantize(input, to: file, in: folder, name: file))))
            let onLoad = try TinyFlux.forward(TinyFlux.load(try TinyFlux.bfl(), precision: LoadPrecision(try PrecisionPolicy.parse(policy), component: .transformer)))
            #expect(onLoad == fromFile, "\(policy)")
        }
        let reference = try TinyFlux.reference()
        let plain = snr(reference, try TinyFlux.forward(TinyFlux.load(try Checkpoint(path: try await TinyFlux.quantize(input, to: "fp8", in: folder, name: "fp8")))))
        let perRow = try TinyFlux.load(try TinyFlux.bfl(), precision: LoadPrecision(try PrecisionPolicy.parse("transformer=fp8"), component: .transformer))
        guard case .fp8(let w) = perRow.doubleBlocks[1].txtMlp.layer0.weight else { Issue.record("not fp8"); return }
        #expect(Set(try w.rowScales.floats()).count > 1)
        let rowDB = snr(reference, try TinyFlux.forward(perRow))
        print("FLUX tiny fp8: plain cast \(plain) dB, per-row scales \(rowDB) dB")
        #expect(rowDB > plain - 1)
        // A float policy dequantizes: bf16 everywhere.
        let bf16 = try TinyFlux.load(try TinyFlux.bfl(), precision: LoadPrecision(try PrecisionPolicy.parse("transformer=bf16"), component: .transformer))
        #expect(bf16.singleBlocks[0].linear2.weight.dtype == .bf16 && bf16.imgIn.weight.dtype == .bf16)
    }

    @Test("diffusers layout from an NF4 file: fused qkv from NF4 parts, swapped final modulation — the same model as BFL")
    func diffusersNF4() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let diffusers = try await TinyFlux.quantize(Fixtures.fluxTiny("diffusers/transformer"), to: "nf4",
                                                    precision: "transformer:norm_out.*=nf4,transformer:proj_out=nf4", in: folder, name: "d.safetensors")
        let model = try TinyFlux.load(try Checkpoint(path: diffusers), layout: .diffusers)
        #expect(model.doubleBlocks[0].imgAttn.qkv.weight.kind == "nf4")          // to_q, to_k, to_v
        #expect(model.singleBlocks[0].linear1.weight.kind == "nf4")              // to_q, to_k, to_v, proj_mlp
        #expect(model.finalLayer.adaLNModulation.weight.kind == "nf4")           // norm_out.linear, halves swapped
        let bfl = try TinyFlux.load(try TinyFlux.bfl(), precision: LoadPrecision(try PrecisionPolicy.parse("transformer=nf4,transformer:final_layer.*=nf4"), component: .transformer))
        #expect(try TinyFlux.forward(model) == TinyFlux.forward(bfl))
        // fp8-scaled parts have one scale each: the fused weight has per-row scales, and still works.
        let scaled = try await TinyFlux.quantize(Fixtures.fluxTiny("diffusers/transformer"), to: "fp8-scaled", in: folder, name: "s.safetensors")
        let s = try TinyFlux.load(try Checkpoint(path: scaled), layout: .diffusers)
        guard case .fp8(let qkv) = s.doubleBlocks[0].imgAttn.qkv.weight else { Issue.record("qkv not fp8"); return }
        #expect(Set(try qkv.rowScales.floats()).count == 3)
        #expect(snr(try TinyFlux.reference(), try TinyFlux.forward(s)) >= Self.bounds["fp8-scaled"]!)
    }

    @Test("Forge-style all-in-one: NF4 transformer, fp8 T5, f16 CLIP, bf16 AE in one file")
    func forgeMixedFile() throws {
        let file = try QuantFixtures.file("flux_tiny_forge_nf4_mixed.safetensors")
        let dit = PrefixedTensorSource(file, prefix: FluxLayout.comfyPrefix)
        let model = try TinyFlux.load(dit)
        #expect(model.imgIn.weight.kind == "nf4" && model.singleBlocks[0].linear2.weight.kind == "nf4")
        // The same model with bitsandbytes' own f32 dequantization of each weight, dense: identical output.
        let view = try QuantizedTensorSource(dit, host: cpu)
        var tensors: [String: Tensor] = [:]
        for key in view.keys {
            tensors[key] = view.storageDescription(of: key) == "nf4 v2"
                ? try QuantFixtures.expected("mixed", key) : try view.load(key, on: cpu)
        }
        let dense = try TinyFlux.load(InMemoryTensorSource(tensors))
        #expect(dense.imgIn.weight.kind == "dense")
        let output = try TinyFlux.forward(model)
        #expect(output == (try TinyFlux.forward(dense)))
        print("FLUX tiny, Forge NF4 file: output SNR \(snr(try TinyFlux.reference(), output)) dB")
        // T5 in plain fp8 from the same file.
        let t5 = try T5Encoder.load(from: PrefixedTensorSource(file, prefix: TextEncoderLayouts.comfyT5Prefix), backend: cpu)
        guard case .fp8 = t5.blocks[0].selfAttention.q.weight else { Issue.record("T5 q is not fp8"); return }
        let ref = try Checkpoint(path: Fixtures.fluxTiny("reference.safetensors"))
        let hidden = try t5(try ref.tensor("t5.input_ids", on: cpu)).cast(to: .f32).floats()
        let t5db = snr(try ref.tensor("t5.hidden", on: cpu).floats(), hidden)
        print("T5 tiny, fp8 e4m3fn (plain cast) from the Forge file: SNR \(t5db) dB")
        // transformers' T5 with the same fp8-cast weights gives 13.0 dB (f32 or bf16 activations; the tiny
        // T5's weights are coarse in e4m3fn): Bantam must be no worse than that, less a margin.
        #expect(t5db > 12)
        // CLIP in f16 loads from it too (the tiny CLIP's head count comes from its config.json).
        let clipSource = PrefixedTensorSource(file, prefix: TextEncoderLayouts.comfyCLIPPrefix)
        let clipConfig = try CLIPTextConfig.load(configFile: Fixtures.fluxTiny("diffusers/text_encoder/config.json"))
        _ = try CLIPTextModel.load(from: clipSource, config: clipConfig, backend: cpu)
    }

    @Test("bantam quantize on a ComfyUI all-in-one: NF4 transformer and fp8 T5 in one file, both load")
    func ownMixedFile() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let path = try await TinyFlux.quantize(Fixtures.fluxTiny("comfy/flux1-tiny-dev-aio.safetensors"), to: "nf4",
                                               precision: "t5=fp8-scaled,clip=f16", in: folder, name: "aio.safetensors")
        let file = try Checkpoint(path: path)
        #expect(file.info("text_encoders.t5xxl.transformer.scaled_fp8")?.dtype == .F8_E4M3)
        #expect(file.info("model.diffusion_model.scaled_fp8") == nil)
        #expect(file.info("text_encoders.clip_l.transformer.final_layer_norm.weight")?.dtype == .F16)
        let model = try TinyFlux.load(PrefixedTensorSource(file, prefix: FluxLayout.comfyPrefix))
        #expect(model.doubleBlocks[1].txtMlp.layer2.weight.kind == "nf4")
        #expect(snr(try TinyFlux.reference(), try TinyFlux.forward(model)) >= Self.bounds["nf4"]!)
        let t5 = try T5Encoder.load(from: PrefixedTensorSource(file, prefix: TextEncoderLayouts.comfyT5Prefix), backend: cpu)
        guard case .fp8(let q) = t5.blocks[1].denseReluDense.wo.weight else { Issue.record("T5 wo is not fp8"); return }
        #expect(try q.rowScales.floats().allSatisfy { $0 != 1 })
    }
}
