import BantamCore
import BantamNN
import BantamQuant
import Testing

@Suite("Precision policies")
struct PrecisionPolicyTests {
    @Test("transformer=fp8,t5=fp8,clip=bf16,vae=bf16")
    func parsesComponents() throws {
        let p = try PrecisionPolicy.parse("transformer=fp8,t5=fp8,clip=bf16,vae=bf16")
        #expect(p[.transformer].format == .fp8(.f8e4m3fn, .perRow))
        #expect(p[.t5].format == .fp8(.f8e4m3fn, .perRow))
        #expect(p[.clip].format == .float(.bf16) && p[.vae].format == .float(.bf16))
        #expect(p[.clip].parameterDType == .bf16 && p[.transformer].parameterDType == nil)
        #expect(p.description == "transformer=fp8,t5=fp8,clip=bf16,vae=bf16")
        #expect(try PrecisionPolicy.parse(p.description) == p)
        // Unnamed components are as stored; spellings and spaces are forgiving.
        let q = try PrecisionPolicy.parse(" transformer = nf4 , T5XXL=FP8-scaled ")
        #expect(q[.transformer].format == .nf4 && q[.t5].format == .fp8(.f8e4m3fn, .perTensor) && q[.clip].format == .keep)
    }

    @Test("FLUX defaults keep the embedders, input projections and final layer as stored")
    func fluxDefaults() throws {
        let p = try PrecisionPolicy.parse("transformer=nf4")[.transformer]
        for kept in ["img_in", "txt_in", "time_in.in_layer", "vector_in.out_layer", "guidance_in.in_layer",
                     "final_layer.linear", "final_layer.adaLN_modulation.1", "x_embedder", "proj_out", "norm_out.linear"] {
            #expect(p.format(forLayer: kept) == .keep, "\(kept)")
        }
        for quantized in ["double_blocks.0.img_attn.qkv", "double_blocks.18.txt_mlp.2", "single_blocks.37.linear1",
                          "single_blocks.0.modulation.lin", "transformer_blocks.3.attn.to_q", "single_transformer_blocks.1.proj_out"] {
            #expect(p.format(forLayer: quantized) == .nf4, "\(quantized)")
        }
        // Float formats apply everywhere (exemptions only keep layers out of quantization).
        #expect(try PrecisionPolicy.parse("transformer=bf16")[.transformer].format(forLayer: "img_in") == .float(.bf16))
        #expect(PrecisionDefaults.flux.isLinear("encoder.block.0.layer.0.SelfAttention.q", in: .t5))
        #expect(!PrecisionDefaults.flux.isLinear("shared", in: .t5))
        #expect(!PrecisionDefaults.flux.isLinear("encoder.block.0.layer.0.SelfAttention.relative_attention_bias", in: .t5))
        #expect(!PrecisionDefaults.flux.isLinear("text_model.embeddings.token_embedding", in: .clip))
    }

    @Test("per-layer rules apply after the defaults, the last match wins")
    func layerRules() throws {
        let p = try PrecisionPolicy.parse("transformer=fp8,transformer:final_layer.*=nf4,transformer:single_blocks.*.linear2=bf16,transformer:single_blocks.3?.linear2=keep")[.transformer]
        #expect(p.format(forLayer: "final_layer.linear") == .nf4)
        #expect(p.format(forLayer: "img_in") == .keep)
        #expect(p.format(forLayer: "single_blocks.5.linear2") == .float(.bf16))
        #expect(p.format(forLayer: "single_blocks.37.linear2") == .keep)
        #expect(p.format(forLayer: "single_blocks.37.linear1") == .fp8(.f8e4m3fn, .perRow))
        // A rule for a component not otherwise named leaves its format as stored.
        let q = try PrecisionPolicy.parse("t5:encoder.block.0.*=bf16")
        #expect(q[.t5].format == .keep && q[.t5].format(forLayer: "encoder.block.0.layer.0.SelfAttention.q") == .float(.bf16))
    }

    @Test("name patterns: * spans dots, ? one character, whole names only")
    func patterns() {
        let cases: [(String, String, Bool)] = [
            ("img_in", "img_in", true), ("img_in", "img_in.x", false), ("img_*", "img_in", true),
            ("final_layer.*", "final_layer.adaLN_modulation.1", true), ("final_layer.*", "final_layer", false),
            ("*linear2", "single_blocks.3.linear2", true), ("*.linear?", "a.linear1", true), ("*.linear?", "a.linear12", false),
            ("*", "", true), ("a*b*c", "aXXbYYc", true), ("a*b*c", "aXXbYY", false), ("**", "x", true), ("?", "", false),
        ]
        for (pattern, name, expected) in cases {
            #expect(NamePattern(pattern).matches(name) == expected, "\(pattern) ~ \(name)")
        }
    }

    @Test("errors are one line naming the item", arguments: [
        ("", "empty"), ("transformer", "no '='"), ("transformr=fp8", "unknown component 'transformr'"),
        ("transformer=fp9", "unknown format 'fp9'"), ("vae=nf4", "no Linear weights"), ("vae=fp8", "no Linear weights"),
        ("transformer=fp8,transformer=nf4", "given twice"), ("transformer=fp8,,t5=fp8", "empty item"),
        ("transformer=fp8,", "empty item"), ("transformer:=fp8", "pattern after ':' is empty"),
    ])
    func errors(_ text: String, _ expected: String) {
        do {
            _ = try PrecisionPolicy.parse(text)
            Issue.record("'\(text)' parsed")
        } catch {
            #expect(error.message.contains(expected), "\(error.message)")
            #expect(!error.message.contains("\n"))
        }
    }

    @Test("LoadPrecision from a policy: the component's format, float formats for every parameter")
    func loadPrecision() throws {
        let policy = try PrecisionPolicy.parse("transformer=nf4,clip=f16")
        let t = LoadPrecision(policy, component: .transformer)
        #expect(t.compute == nil && t.policy.format == .nf4)
        let c = LoadPrecision(policy, component: .clip)
        #expect(c.compute == .f16)
        #expect(LoadPrecision(policy, component: .transformer, compute: .bf16).compute == .bf16)
    }
}
