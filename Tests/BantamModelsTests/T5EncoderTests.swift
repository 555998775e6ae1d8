import BantamCore
import BantamCPU
import BantamIO
import BantamModels
import BantamNN
import BantamTestSupport
import Testing

/// The T5 v1.1 encoder against transformers 5.23 (Tests/Fixtures/flux-tiny: 2 blocks, d_model 32, 4 heads
/// of d_kv 8, d_ff 64, gated gelu_new, 32 buckets / max distance 128, vocabulary 1000).
@Suite struct T5EncoderTests {
    let cpu = TextEncoderTest.cpu
    static let tinyConfig = T5EncoderConfig(vocabSize: 1000, dModel: 32, dKV: 8, dFF: 64, layers: 2, heads: 4,
                                            relativeAttentionNumBuckets: 32, relativeAttentionMaxDistance: 128,
                                            eps: 1e-6, activation: .geluNew)

    /// The tiny T5 from each layout users have (the ComfyUI file also carries the tied copy
    /// `encoder.embed_tokens.weight`, equal to `shared.weight`).
    static func source(_ layout: String) throws -> any TensorSource {
        switch layout {
        case "diffusers": return try TextEncoderTest.tiny("diffusers/text_encoder_2")
        case "bfl": return try TextEncoderTest.tiny("bfl/t5xxl.safetensors")
        default: return PrefixedTensorSource(try TextEncoderTest.tiny("comfy/flux1-tiny-dev-aio.safetensors"),
                                             prefix: TextEncoderLayouts.comfyT5Prefix)
        }
    }

    /// f32: matches transformers' last hidden state to 1e-5 (measured: ~1e-6), from the diffusers folder
    /// (with its config.json), the single file and the ComfyUI all-in-one file (configs inferred from shapes).
    @Test(arguments: ["diffusers", "bfl", "comfy"])
    func matchesTransformersInF32(layout: String) throws {
        let source = try Self.source(layout)
        let config = layout == "diffusers"
            ? try T5EncoderConfig.load(configFile: Fixtures.fluxTiny("diffusers/text_encoder_2/config.json")).matching(source)
            : try T5EncoderConfig.infer(from: source)
        #expect(config == Self.tinyConfig)
        let model = try T5Encoder.load(from: source, config: config, backend: cpu)
        let hidden = try model(try TextEncoderTest.reference("t5.input_ids"))
        let error = try TextEncoderTest.difference(hidden, try TextEncoderTest.reference("t5.hidden"))
        print("T5 f32 (\(layout)): hidden max abs \(error.maxAbs)")
        #expect(error.maxAbs <= 1e-5, "\(error)")
    }

    /// bf16 compute: within 1.25 × transformers' own bf16 error of the f32 reference, and as close to
    /// transformers' bf16 output (measured: 0.117, |values| ≤ 3.0, where transformers' bf16 is 0.119 away).
    @Test func bf16ComputeStaysCloseToTheF32Reference() throws {
        let model = try T5Encoder.load(from: try Self.source("bfl"), backend: cpu, precision: LoadPrecision(compute: .bf16))
        #expect(model.dtype == .bf16)
        let hidden = try model(try TextEncoderTest.reference("t5.input_ids"))
        #expect(hidden.dtype == .bf16)
        let vsF32 = try TextEncoderTest.difference(hidden, try TextEncoderTest.reference("t5.hidden"))
        let vsTransformers = try TextEncoderTest.difference(hidden, try TextEncoderTest.transformersBF16("t5.hidden"))
        let theirs = try TextEncoderTest.difference(try TextEncoderTest.transformersBF16("t5.hidden"), try TextEncoderTest.reference("t5.hidden"))
        print("T5 bf16: vs f32 reference \(vsF32.maxAbs), vs transformers bf16 \(vsTransformers.maxAbs) (transformers bf16 vs f32: \(theirs.maxAbs))")
        let budget = try TextEncoderTest.bf16Budget("t5.hidden")
        #expect(vsF32.maxAbs <= budget, "vs f32: \(vsF32)")
        #expect(vsTransformers.maxAbs <= budget, "vs transformers bf16: \(vsTransformers)")
    }

    /// Rows of a batch are independent (up to f32 rounding: the GEMM may sum in another order for another
    /// row count); any length runs (the bias is built for it).
    @Test func batchRowsMatchSingleRowsAtOddLengths() throws {
        var rng = TestRNG()
        let model = try T5Encoder.load(from: try Self.source("bfl"), backend: cpu)
        for length in [1, 3, 17, 33] {
            let rows = (0..<2).map { _ in (0..<length).map { _ in Int(rng.next() % 1000) } }
            let batched = try model(try Tensor(ints: rows.flatMap { $0 }, shape: [2, length], on: cpu))
            #expect(batched.shape == [2, length, 32])
            let all = try batched.floats()
            for (i, row) in rows.enumerated() {
                let single = try model(try Tensor(ints: row, shape: [1, length], on: cpu)).floats()
                let report = compare(Array(all[(i * length * 32)..<((i + 1) * length * 32)]), single.map(Double.init),
                                     atol: 1e-5, rtol: 1e-5)
                #expect(report.violations == 0, "seed \(rng.seed), length \(length), row \(i): \(report)")
            }
        }
        #expect(throws: TextEncoderError.self) { try model(try Tensor([1, 2], shape: [1, 2], on: self.cpu)) }
    }

    /// Buckets equal transformers' `_relative_position_bucket` for every relative position in ±1100 (T5's
    /// 32/128, both directions) and for other bucket counts and distances
    /// (Tests/Fixtures/text-encoders/t5_relative_buckets.json, scripts/goldens/text_encoder_goldens.py).
    @Test func relativePositionBucketsMatchTransformers() throws {
        let golden = try Checkpoint(path: Fixtures.path("text-encoders/t5_relative_buckets.safetensors"))
        let cases = try golden.load("cases", on: cpu)       // [N, 4]: buckets, max distance, bidirectional, first
        #expect(cases.shape == [5, 4])
        let settings = try cases.ints()
        for n in 0..<cases.shape[0] {
            let (numBuckets, maxDistance, first) = (settings[n * 4], settings[n * 4 + 1], settings[n * 4 + 3])
            let bidirectional = settings[n * 4 + 2] == 1
            for (i, expected) in try golden.load("case\(n)", on: cpu).ints().enumerated() {
                let relative = first + i
                let got = T5RelativePositionBias.bucket(relativePosition: relative, bidirectional: bidirectional,
                                                        numBuckets: numBuckets, maxDistance: maxDistance)
                #expect(got == expected, "buckets \(numBuckets), max distance \(maxDistance), bidirectional \(bidirectional), relative position \(relative)")
                if got != expected { break }
            }
        }
    }

    /// The bias tensor [1, H, Lq, Lk] holds table[bucket(j − i), h].
    @Test func relativePositionBiasGathersTheTable() throws {
        var rng = TestRNG()
        let (table, values) = try rng.tensor([32, 3], on: cpu)
        let bias = try T5RelativePositionBias(table: table, numBuckets: 32, maxDistance: 128)(queryLength: 5, keyLength: 70)
        #expect(bias.shape == [1, 3, 5, 70])
        let got = try bias.floats()
        for h in 0..<3 {
            for i in 0..<5 {
                for j in 0..<70 {
                    let b = T5RelativePositionBias.bucket(relativePosition: j - i, bidirectional: true, numBuckets: 32, maxDistance: 128)
                    #expect(Double(got[(h * 5 + i) * 70 + j]) == values[b * 3 + h], "seed \(rng.seed), h \(h), i \(i), j \(j)")
                }
            }
        }
    }

    /// A removed, a mis-shaped and an extra tensor are all reported, by name.
    @Test func damagedCheckpointReportsEachProblemByName() throws {
        var rng = TestRNG()
        var tensors = try TextEncoderTest.copy(of: try Self.source("bfl"))
        tensors["encoder.block.1.layer.1.DenseReluDense.wo.weight"] = nil
        tensors["encoder.block.0.layer.0.layer_norm.weight"] = try rng.tensor([33], on: cpu).tensor
        tensors["encoder.block.1.layer.0.SelfAttention.relative_attention_bias.weight"] = try rng.tensor([32, 4], on: cpu).tensor
        let source = InMemoryTensorSource(tensors, description: "damaged t5xxl.safetensors")
        let error = try #require(throws: WeightMapError.self) {
            try T5Encoder.load(from: source, config: Self.tinyConfig, backend: cpu)
        }
        #expect(error.problems.count == 3, "\(error)")
        #expect(error.problems.contains { $0.kind == .missing && $0.name == "encoder.block.1.layer.1.DenseReluDense.wo.weight" })
        #expect(error.problems.contains { $0.kind == .misshaped && $0.name == "encoder.block.0.layer.0.layer_norm.weight" })
        #expect(error.problems.contains { $0.kind == .unexpected && $0.name == "encoder.block.1.layer.0.SelfAttention.relative_attention_bias.weight" })
    }

    /// A file that stores its parts in different dtypes (bf16 table, f16 norms and bias table, f32 or FP8
    /// linear weights) runs in the table's dtype (bf16): the other vectors are cast to it, linear weights
    /// are used as stored (FP8 weight-only). Reference: the same rounded weights, all in f32, run in f32;
    /// tolerance: the bf16 budget of the golden test.
    @Test(arguments: [DType.f32, .f8e4m3fn])
    func mixedStoredDTypesRunInTheTableDType(linearWeights: DType) throws {
        var mixed = try TextEncoderTest.copy(of: try Self.source("bfl"))
        var rounded = mixed
        for (key, value) in mixed {
            let isLinear = key.contains("SelfAttention.") && !key.contains("relative_attention_bias") || key.contains("DenseReluDense")
            let stored = try value.cast(to: key == "shared.weight" ? .bf16 : isLinear ? linearWeights : .f16)
            mixed[key] = stored
            rounded[key] = try stored.cast(to: .f32)
        }
        let model = try T5Encoder.load(from: InMemoryTensorSource(mixed), backend: cpu)
        #expect(model.dtype == .bf16)
        let ids = try TextEncoderTest.reference("t5.input_ids")
        let hidden = try model(ids)
        #expect(hidden.dtype == .bf16)
        let reference = try T5Encoder.load(from: InMemoryTensorSource(rounded), backend: cpu)(ids)
        let error = try TextEncoderTest.difference(hidden, reference)
        print("T5 bf16 activations, \(linearWeights) linear weights: vs f32 run of the same weights \(error.maxAbs)")
        #expect(error.maxAbs <= (try TextEncoderTest.bf16Budget("t5.hidden")), "\(error)")
    }

    /// The tied copy `encoder.embed_tokens.weight`: used when `shared.weight` is absent (transformers ties
    /// them); accepted when identical (the ComfyUI fixture); refused, naming both, when it differs.
    @Test func tiedEmbeddingCopyIsCheckedAgainstShared() throws {
        var tensors = try TextEncoderTest.copy(of: try Self.source("bfl"))
        let shared = tensors["shared.weight"]!
        tensors["shared.weight"] = nil
        tensors["encoder.embed_tokens.weight"] = shared
        let onlyCopy = InMemoryTensorSource(tensors)
        #expect(try T5EncoderConfig.infer(from: onlyCopy) == Self.tinyConfig)
        let model = try T5Encoder.load(from: onlyCopy, backend: cpu)
        let hidden = try model(try TextEncoderTest.reference("t5.input_ids"))
        #expect(try TextEncoderTest.difference(hidden, try TextEncoderTest.reference("t5.hidden")).maxAbs <= 1e-5)

        var values = try shared.floats()
        values[7 * 32 + 5] += 0.5
        tensors["shared.weight"] = shared
        tensors["encoder.embed_tokens.weight"] = try Tensor(values, shape: shared.shape, on: cpu)
        let error = try #require(throws: TextEncoderError.self) {
            try T5Encoder.load(from: InMemoryTensorSource(tensors, description: "two tables"), backend: cpu)
        }
        #expect(error.description.contains("two tables: encoder.embed_tokens.weight differs from shared.weight"))
        tensors["encoder.embed_tokens.weight"] = try shared.cast(to: .bf16)      // same values, other dtype
        #expect(throws: TextEncoderError.self) { try T5Encoder.load(from: InMemoryTensorSource(tensors), backend: self.cpu) }
    }
}

