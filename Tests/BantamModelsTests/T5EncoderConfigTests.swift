import BantamCore
import BantamCPU
import BantamIO
import BantamModels
import BantamNN
import BantamTestSupport
import Testing

@Suite struct T5EncoderConfigTests {
    let cpu = TextEncoderTest.cpu

    /// The diffusers config.json and the shapes of the single file agree.
    @Test func configJSONAndShapesAgree() throws {
        let fromJSON = try T5EncoderConfig.load(configFile: Fixtures.fluxTiny("diffusers/text_encoder_2/config.json"))
        let fromShapes = try T5EncoderConfig.infer(from: try TextEncoderTest.tiny("bfl/t5xxl.safetensors"))
        #expect(fromJSON == T5EncoderTests.tinyConfig)
        #expect(fromShapes == T5EncoderTests.tinyConfig)
    }

    /// transformers' rules: `dense_act_fn` / `is_gated_act` when written, else what `feed_forward_proj` says;
    /// absent sizes take T5Config's defaults.
    @Test func activationAndGateFollowTransformers() throws {
        let flux = try T5EncoderConfig(configJSON: #"{"d_model": 4096, "d_ff": 10240, "num_heads": 64, "num_layers": 24, "feed_forward_proj": "gated-gelu", "dense_act_fn": "gelu_pytorch_tanh", "is_gated_act": true}"#)
        #expect(flux == T5EncoderConfig(activation: .geluPytorchTanh))
        let original = try T5EncoderConfig(configJSON: #"{"feed_forward_proj": "gated-gelu"}"#)
        #expect(original == T5EncoderConfig(dModel: 512, dFF: 2048, layers: 6, heads: 8, activation: .geluNew))
        let silu = try #require(throws: TextEncoderError.self) { try T5EncoderConfig(configJSON: #"{"feed_forward_proj": "gated-silu"}"#) }
        #expect(silu.description.contains("activation 'silu' is not supported"))
        let v10 = try #require(throws: TextEncoderError.self) { try T5EncoderConfig(configJSON: #"{"d_model": 512}"#) }
        #expect(v10.description.contains("not gated"))
        let buckets = try #require(throws: TextEncoderError.self) {
            try T5EncoderConfig(configJSON: #"{"feed_forward_proj": "gated-gelu", "relative_attention_num_buckets": 2}"#)
        }
        #expect(buckets.description.contains("too few"))
    }

    @Test func wrongConfigOrWrongModelFailClearly() throws {
        let source = try TextEncoderTest.tiny("bfl/t5xxl.safetensors")
        var wrong = T5EncoderTests.tinyConfig
        wrong.heads = 8
        wrong.dFF = 128
        let mismatch = try #require(throws: TextEncoderError.self) { try wrong.matching(source) }
        #expect(mismatch.description.contains("num_heads 8 (checkpoint: 4)") && mismatch.description.contains("d_ff 128 (checkpoint: 64)"))
        let clip = try TextEncoderTest.tiny("bfl/clip_l.safetensors")
        let notT5 = try #require(throws: TextEncoderError.self) { try T5EncoderConfig.infer(from: clip) }
        #expect(notT5.description.contains("is it a T5 encoder?"))
        var tensors = try TextEncoderTest.copy(of: source)
        tensors["encoder.block.0.layer.1.DenseReluDense.wi.weight"] = tensors["encoder.block.0.layer.1.DenseReluDense.wi_0.weight"]
        tensors["encoder.block.0.layer.1.DenseReluDense.wi_0.weight"] = nil
        let v10 = try #require(throws: TextEncoderError.self) { try T5EncoderConfig.infer(from: InMemoryTensorSource(tensors)) }
        #expect(v10.description.contains("T5 v1.0"))
    }

    /// One T5-XXL-shaped block with random bf16 weights, in memory (~650 MB with the 32128×4096 table):
    /// d_model 4096, 64 heads (from the bias table), d_kv 64, d_ff 10240 are read from the shapes, and a
    /// 7-token sequence runs through it.
    @Test func fullSizeT5XXLBlockInfersItsConfigAndRuns() throws {
        var rng = TestRNG()
        var x = T5EncoderConfig.xxl
        x.layers = 1
        var tensors: [String: Tensor] = [:]
        func add(_ name: String, _ shape: Shape, scale: Float) throws {
            tensors[name] = try TextEncoderTest.randomBF16(shape, scale: scale, rng: &rng)
        }
        try add("shared.weight", [x.vocabSize, x.dModel], scale: 1)
        let attention = "encoder.block.0.layer.0.", feedForward = "encoder.block.0.layer.1."
        for proj in ["q", "k", "v"] {
            try add(attention + "SelfAttention.\(proj).weight", [x.innerDim, x.dModel], scale: 1 / Float(x.dModel).squareRoot())
        }
        try add(attention + "SelfAttention.o.weight", [x.dModel, x.innerDim], scale: 1 / Float(x.innerDim).squareRoot())
        try add(attention + "SelfAttention.relative_attention_bias.weight", [32, 64], scale: 1)
        try add(feedForward + "DenseReluDense.wi_0.weight", [x.dFF, x.dModel], scale: 1 / Float(x.dModel).squareRoot())
        try add(feedForward + "DenseReluDense.wi_1.weight", [x.dFF, x.dModel], scale: 1 / Float(x.dModel).squareRoot())
        try add(feedForward + "DenseReluDense.wo.weight", [x.dModel, x.dFF], scale: 1 / Float(x.dFF).squareRoot())
        for norm in [attention + "layer_norm.weight", feedForward + "layer_norm.weight", "encoder.final_layer_norm.weight"] {
            tensors[norm] = try Tensor.full(1, shape: [x.dModel], dtype: .bf16, on: cpu)
        }
        let source = InMemoryTensorSource(tensors, description: "random T5-XXL block")

        let config = try T5EncoderConfig.infer(from: source)
        #expect(config == x)
        let model = try T5Encoder.load(from: source, config: config, backend: cpu)
        let ids = [37, 1782, 5, 3, 9, 1, 0]
        let hidden = try model(try Tensor(ints: ids, shape: [1, ids.count], on: cpu))
        #expect(hidden.shape == [1, 7, 4096] && hidden.dtype == .bf16)
        #expect(try TextEncoderTest.allFinite(hidden), "seed \(rng.seed)")
    }
}
