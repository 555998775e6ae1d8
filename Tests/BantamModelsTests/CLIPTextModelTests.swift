import BantamCore
import BantamCPU
import BantamIO
import BantamModels
import BantamNN
import BantamTestSupport
import Testing

/// The CLIP text tower against transformers 5.23 (Tests/Fixtures/flux-tiny: a 2-layer CLIP of width 32,
/// 4 heads, intermediate 37, quick_gelu, saved by transformers 5 without the `text_model.` stem).
@Suite struct CLIPTextModelTests {
    let cpu = TextEncoderTest.cpu
    static let endToken = 999     // the tiny vocabulary's <|endoftext|>
    static let tinyConfig = CLIPTextConfig(vocabSize: 1000, hidden: 32, layers: 2, heads: 4, intermediate: 37,
                                           maxPositions: 77, eps: 1e-5, activation: .quickGelu)

    /// The tiny CLIP from each layout users have.
    static func source(_ layout: String) throws -> any TensorSource {
        switch layout {
        case "diffusers": return try TextEncoderTest.tiny("diffusers/text_encoder")
        case "bfl": return try TextEncoderTest.tiny("bfl/clip_l.safetensors")
        default: return PrefixedTensorSource(try TextEncoderTest.tiny("comfy/flux1-tiny-dev-aio.safetensors"),
                                             prefix: TextEncoderLayouts.comfyCLIPPrefix)
        }
    }

    /// f32: matches transformers' pooled and last hidden state to 1e-5 (measured: ~1e-6) from the diffusers
    /// folder (with its config.json), the single file and the ComfyUI all-in-one file.
    @Test(arguments: ["diffusers", "bfl", "comfy"])
    func matchesTransformersInF32(layout: String) throws {
        let source = try Self.source(layout)
        let config = layout == "diffusers"
            ? try CLIPTextConfig.load(configFile: Fixtures.fluxTiny("diffusers/text_encoder/config.json")).matching(source)
            : Self.tinyConfig
        #expect(config == Self.tinyConfig)
        let model = try CLIPTextModel.load(from: source, config: config, backend: cpu)
        #expect(model.dtype == .f32)
        let (hidden, pooled) = try model(try TextEncoderTest.reference("clip.input_ids"), endToken: Self.endToken)
        let hiddenError = try TextEncoderTest.difference(hidden, try TextEncoderTest.reference("clip.last_hidden"))
        let pooledError = try TextEncoderTest.difference(pooled, try TextEncoderTest.reference("clip.pooled"))
        print("CLIP f32 (\(layout)): last_hidden max abs \(hiddenError.maxAbs), pooled max abs \(pooledError.maxAbs)")
        #expect(hiddenError.maxAbs <= 1e-5, "last_hidden: \(hiddenError)")
        #expect(pooledError.maxAbs <= 1e-5, "pooled: \(pooledError)")
    }

    /// bf16 compute: within 1.25 × transformers' own bf16 error of the f32 reference, and as close to
    /// transformers' bf16 output (measured: 0.041 for last_hidden, |values| ≤ 3.3, where transformers' bf16
    /// is 0.041 away; 0.021 for pooled, transformers 0.019).
    @Test func bf16ComputeStaysCloseToTheF32Reference() throws {
        let model = try CLIPTextModel.load(from: try Self.source("bfl"), config: Self.tinyConfig, backend: cpu,
                                           precision: LoadPrecision(compute: .bf16))
        #expect(model.dtype == .bf16)
        let (hidden, pooled) = try model(try TextEncoderTest.reference("clip.input_ids"), endToken: Self.endToken)
        #expect(hidden.dtype == .bf16 && pooled.dtype == .bf16)
        for (name, output) in [("clip.last_hidden", hidden), ("clip.pooled", pooled)] {
            let vsF32 = try TextEncoderTest.difference(output, try TextEncoderTest.reference(name))
            let vsTransformers = try TextEncoderTest.difference(output, try TextEncoderTest.transformersBF16(name))
            let theirs = try TextEncoderTest.difference(try TextEncoderTest.transformersBF16(name), try TextEncoderTest.reference(name))
            print("CLIP bf16 \(name): vs f32 reference \(vsF32.maxAbs), vs transformers bf16 \(vsTransformers.maxAbs) (transformers bf16 vs f32: \(theirs.maxAbs))")
            let budget = try TextEncoderTest.bf16Budget(name)
            #expect(vsF32.maxAbs <= budget, "\(name) vs f32: \(vsF32)")
            #expect(vsTransformers.maxAbs <= budget, "\(name) vs transformers bf16: \(vsTransformers)")
        }
    }

    /// Rows of a batch are independent (up to f32 rounding: the GEMM may sum in another order for another
    /// row count), and pooled is each row's hidden state at its first end token.
    @Test func batchRowsMatchSingleRowsAndPoolAtTheFirstEndToken() throws {
        var rng = TestRNG()
        let model = try CLIPTextModel.load(from: try Self.source("bfl"), config: Self.tinyConfig, backend: cpu)
        let length = 9
        var rows: [[Int]] = []
        for end in [1, 4, 8] {     // end token at different positions, more end tokens after it
            var row = (0..<length).map { _ in Int(rng.next() % 998) }
            for j in end..<length { row[j] = Self.endToken }
            if end + 1 < length { row[end + 1] = Int(rng.next() % 998) }   // a later non-end token
            rows.append(row)
        }
        let ids = try Tensor(ints: rows.flatMap { $0 }, shape: [3, length], on: cpu)
        let (hidden, pooled) = try model(ids, endToken: Self.endToken)
        #expect(hidden.shape == [3, length, 32] && pooled.shape == [3, 32])
        let allHidden = try hidden.floats(), allPooled = try pooled.floats()
        for (i, row) in rows.enumerated() {
            let (h1, p1) = try model(try Tensor(ints: row, shape: [1, length], on: cpu), endToken: Self.endToken)
            let single = try h1.floats(), singlePooled = try p1.floats()
            let batched = Array(allHidden[(i * length * 32)..<((i + 1) * length * 32)])
            let report = compare(batched, single.map(Double.init), atol: 1e-5, rtol: 1e-5)
            #expect(report.violations == 0, "seed \(rng.seed), row \(i): \(report)")
            let pooledReport = compare(Array(allPooled[(i * 32)..<((i + 1) * 32)]), singlePooled.map(Double.init),
                                       atol: 1e-5, rtol: 1e-5)
            #expect(pooledReport.violations == 0, "seed \(rng.seed), row \(i): \(pooledReport)")
            let end = row.firstIndex(of: Self.endToken)!
            #expect(singlePooled == Array(single[(end * 32)..<((end + 1) * 32)]), "seed \(rng.seed), row \(i)")
        }
    }

    @Test func refusesInputsItCannotPool() throws {
        let model = try CLIPTextModel.load(from: try Self.source("bfl"), config: Self.tinyConfig, backend: cpu)
        let noEnd = try Tensor(ints: [998, 5, 6], shape: [1, 3], on: cpu)
        let error = try #require(throws: TextEncoderError.self) { try model(noEnd, endToken: Self.endToken) }
        #expect(error.description.contains("no end-of-text token 999"))
        let tooLong = try Tensor(ints: [Int](repeating: Self.endToken, count: 78), shape: [1, 78], on: cpu)
        #expect(throws: TextEncoderError.self) { try model(tooLong, endToken: Self.endToken) }
        let floats = try Tensor([1, 2], shape: [1, 2], on: cpu)
        #expect(throws: TextEncoderError.self) { try model(floats, endToken: Self.endToken) }
    }

    /// A removed, a mis-shaped and an extra tensor are all reported, by name; the keys CLIP files carry
    /// that the text tower does not use (position ids, the contrastive head) are not.
    @Test func damagedCheckpointReportsEachProblemByName() throws {
        var rng = TestRNG()
        var tensors = try TextEncoderTest.copy(of: try Self.source("bfl"))
        tensors["encoder.layers.1.mlp.fc2.bias"] = nil
        tensors["encoder.layers.0.self_attn.q_proj.weight"] = try rng.tensor([31, 32], on: cpu).tensor
        tensors["encoder.layers.0.self_attn.extra.weight"] = try rng.tensor([2], on: cpu).tensor
        tensors["embeddings.position_ids"] = try Tensor(ints: Array(0..<77), shape: [1, 77], dtype: .i64, on: cpu)
        tensors["logit_scale"] = try rng.tensor([], on: cpu).tensor
        tensors["text_projection.weight"] = try rng.tensor([32, 32], on: cpu).tensor
        let source = InMemoryTensorSource(tensors, description: "damaged clip_l.safetensors")
        let error = try #require(throws: WeightMapError.self) {
            try CLIPTextModel.load(from: source, config: Self.tinyConfig, backend: cpu)
        }
        #expect(Set(error.problems.map(\.kind)) == [.missing, .misshaped, .unexpected])
        #expect(error.problems.count == 3, "\(error)")
        #expect(error.problems.contains { $0.kind == .missing && $0.name == "encoder.layers.1.mlp.fc2.bias" })
        #expect(error.problems.contains { $0.kind == .misshaped && $0.name == "encoder.layers.0.self_attn.q_proj.weight" })
        #expect(error.problems.contains { $0.kind == .unexpected && $0.name == "encoder.layers.0.self_attn.extra.weight" })
        #expect(error.description.contains("is [31, 32], expected [32, 32]"))
    }

    /// With the `text_model.` stem (transformers 4, the FLUX CLIP-L files) the same weights give the same result.
    @Test func acceptsTheTextModelStem() throws {
        let tensors = try TextEncoderTest.copy(of: try Self.source("bfl"))
        var stemmed: [String: Tensor] = [:]
        for (key, value) in tensors { stemmed["text_model." + key] = value }
        stemmed["text_model.embeddings.position_ids"] = try Tensor(ints: Array(0..<77), shape: [1, 77], dtype: .i64, on: cpu)
        let source = InMemoryTensorSource(stemmed)
        #expect(TextEncoderLayouts.clip(for: source).name == TextEncoderLayouts.clipHF.name)
        let model = try CLIPTextModel.load(from: source, config: Self.tinyConfig, backend: cpu)
        let (_, pooled) = try model(try TextEncoderTest.reference("clip.input_ids"), endToken: Self.endToken)
        #expect(try TextEncoderTest.difference(pooled, try TextEncoderTest.reference("clip.pooled")).maxAbs <= 1e-5)
    }
}
