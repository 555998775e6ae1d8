import BantamCore
import BantamCPU
import BantamIO
import BantamModels
import BantamNN
import BantamTestSupport
import Testing

@Suite struct CLIPTextConfigTests {
    let cpu = TextEncoderTest.cpu

    @Test func readsTheDiffusersConfigJSON() throws {
        let config = try CLIPTextConfig.load(configFile: Fixtures.fluxTiny("diffusers/text_encoder/config.json"))
        #expect(config == CLIPTextConfig(vocabSize: 1000, hidden: 32, layers: 2, heads: 4, intermediate: 37,
                                         maxPositions: 77, eps: 1e-5, activation: .quickGelu))
    }

    /// A full CLIPConfig keeps the text tower under `text_config`; absent fields take transformers' defaults.
    @Test func readsTextConfigAndDefaults() throws {
        let full = try CLIPTextConfig(configJSON: #"{"text_config": {"hidden_size": 1280, "num_attention_heads": 20, "num_hidden_layers": 32, "intermediate_size": 5120, "hidden_act": "gelu"}, "vision_config": {}}"#)
        #expect(full == CLIPTextConfig(vocabSize: 49408, hidden: 1280, layers: 32, heads: 20, intermediate: 5120,
                                       maxPositions: 77, eps: 1e-5, activation: .gelu))
        let defaults = try CLIPTextConfig(configJSON: "{}")
        #expect(defaults == CLIPTextConfig(vocabSize: 49408, hidden: 512, layers: 12, heads: 8, intermediate: 2048))
    }

    @Test func badConfigsSayWhatIsWrong() throws {
        let cases: [(String, String)] = [
            (#"{"hidden_size": "768"}"#, "'hidden_size' is \"768\"; expected an integer"),
            (#"{"hidden_size": 768, "num_attention_heads": 7}"#, "does not split into 7 heads"),
            (#"{"hidden_act": "swish"}"#, "activation 'swish' is not supported"),
            (#"{"num_hidden_layers": 0}"#, "expected a positive integer"),
            (#"[1, 2]"#, "expected a JSON object"),
            (#"{"hidden_size": 768,"#, "is not valid JSON"),
        ]
        for (json, message) in cases {
            let error = try #require(throws: TextEncoderError.self) { try CLIPTextConfig(configJSON: json) }
            #expect(error.description.contains(message), "\(json): \(error)")
        }
        let missing = try #require(throws: TextEncoderError.self) { try CLIPTextConfig.load(configFile: "/nonexistent/config.json") }
        #expect(missing.description.contains("cannot open /nonexistent/config.json"))
    }

    /// The tiny model's width (32) hides its head count: infer says so and points to config.json; a config
    /// that does not fit the checkpoint names the differing fields.
    @Test func shapesAloneOrAWrongConfigFailClearly() throws {
        let source = try TextEncoderTest.tiny("bfl/clip_l.safetensors")
        let error = try #require(throws: TextEncoderError.self) { try CLIPTextConfig.infer(from: source) }
        #expect(error.description.contains("width 32") && error.description.contains("config.json"))
        let wrong = CLIPTextConfig(vocabSize: 1000, hidden: 32, layers: 3, heads: 4, intermediate: 40)
        let mismatch = try #require(throws: TextEncoderError.self) { try wrong.matching(source) }
        #expect(mismatch.description.contains("num_hidden_layers 3 (checkpoint: 2)"))
        #expect(mismatch.description.contains("intermediate_size 40 (checkpoint: 37)"))
        let t5 = try TextEncoderTest.tiny("bfl/t5xxl.safetensors")
        let notCLIP = try #require(throws: TextEncoderError.self) { try CLIPTextConfig.infer(from: t5) }
        #expect(notCLIP.description.contains("is it a CLIP text encoder?"))
    }

    /// A CLIP-L-shaped model with random bf16 weights, in memory (~250 MB): the sizes are read from the
    /// shapes (heads = 768/64 = 12, quick_gelu), the loader accepts it (`text_model.` names plus the keys
    /// FLUX's clip_l.safetensors carries and the tower does not use), and 77 tokens run through it.
    @Test func fullSizeCLIPLInfersItsConfigAndRuns() throws {
        var rng = TestRNG()
        let l = CLIPTextConfig.clipL
        var tensors: [String: Tensor] = [:]
        func add(_ name: String, _ shape: Shape, scale: Float) throws {
            tensors["text_model." + name] = try TextEncoderTest.randomBF16(shape, scale: scale, rng: &rng)
        }
        try add("embeddings.token_embedding.weight", [l.vocabSize, l.hidden], scale: 0.02)
        try add("embeddings.position_embedding.weight", [l.maxPositions, l.hidden], scale: 0.01)
        for i in 0..<l.layers {
            let p = "encoder.layers.\(i)."
            for proj in ["q_proj", "k_proj", "v_proj", "out_proj"] {
                try add(p + "self_attn.\(proj).weight", [l.hidden, l.hidden], scale: 1 / Float(l.hidden).squareRoot())
                try add(p + "self_attn.\(proj).bias", [l.hidden], scale: 0.01)
            }
            try add(p + "mlp.fc1.weight", [l.intermediate, l.hidden], scale: 1 / Float(l.hidden).squareRoot())
            try add(p + "mlp.fc1.bias", [l.intermediate], scale: 0.01)
            try add(p + "mlp.fc2.weight", [l.hidden, l.intermediate], scale: 1 / Float(l.intermediate).squareRoot())
            try add(p + "mlp.fc2.bias", [l.hidden], scale: 0.01)
            for norm in ["layer_norm1", "layer_norm2"] {
                tensors["text_model." + p + norm + ".weight"] = try Tensor.full(1, shape: [l.hidden], dtype: .bf16, on: cpu)
                try add(p + norm + ".bias", [l.hidden], scale: 0.01)
            }
        }
        tensors["text_model.final_layer_norm.weight"] = try Tensor.full(1, shape: [l.hidden], dtype: .bf16, on: cpu)
        try add("final_layer_norm.bias", [l.hidden], scale: 0.01)
        tensors["text_model.embeddings.position_ids"] = try Tensor(ints: Array(0..<77), shape: [1, 77], dtype: .i64, on: cpu)
        tensors["text_projection.weight"] = try TextEncoderTest.randomBF16([l.hidden, l.hidden], scale: 0.03, rng: &rng)
        tensors["logit_scale"] = try Tensor([4.6], shape: [], dtype: .f32, on: cpu)
        let source = InMemoryTensorSource(tensors, description: "random CLIP-L")

        let config = try CLIPTextConfig.infer(from: source)
        #expect(config == .clipL)
        let model = try CLIPTextModel.load(from: source, config: config, backend: cpu)
        let prompt = [49406] + (0..<20).map { _ in Int(rng.next() % 49406) } + [Int](repeating: 49407, count: 56)
        let (hidden, pooled) = try model(try Tensor(ints: prompt, shape: [1, 77], on: cpu), endToken: 49407)
        #expect(hidden.shape == [1, 77, 768] && pooled.shape == [1, 768] && pooled.dtype == .bf16)
        #expect(try TextEncoderTest.allFinite(hidden), "seed \(rng.seed)")
        #expect(try pooled.floats() == Array(try hidden.floats()[(21 * 768)..<(22 * 768)]), "seed \(rng.seed)")
    }
}
