import Testing
import BantamIO
import BantamTestSupport

/// Detection on synthetic key sets of the published models, their layouts and sizes.
func detect(_ keys: [KeyEntry], metadata: [String: String] = [:]) -> CheckpointKind {
    ModelDetector.detect(keys.map { TensorSignature(name: $0.name, dtype: $0.dtype, shape: $0.shape) }, metadata: metadata)
}

@Suite("Model detection: families, layouts, sizes")
struct ModelDetectorTests {
    @Test("FLUX.1-dev and -schnell in BFL names, with the published sizes")
    func fluxBFL() throws {
        let dev = detect(SyntheticKeySets.fluxBFL())
        #expect(dev.summary == "FLUX.1-dev transformer, BFL layout")
        let c = try #require(dev.components.first)
        #expect(dev.components.count == 1)
        #expect(c.family == .flux1Dev && c.layout == .bfl && c.variant == nil && c.prefix == "" && c.tensorCount == 780)
        #expect(c.dimensions.hiddenSize == 3072 && c.dimensions.depth == 19 && c.dimensions.singleBlocks == 38)
        #expect(c.dimensions.heads == 24 && c.dimensions.headDim == 128 && c.dimensions.mlpHidden == 12288)
        #expect(c.dimensions.inFeatures == 64 && c.dimensions.contextDim == 4096)
        #expect(c.quantization.isEmpty)
        #expect(c.dimensions.description == "hidden 3072, 19 double + 38 single blocks, 24 heads × 128, MLP 12288, in 64, context 4096")

        let schnell = detect(SyntheticKeySets.fluxBFL(guidance: false))
        #expect(schnell.summary == "FLUX.1-schnell transformer, BFL layout")
    }

    @Test("FLUX.1-dev and -schnell in diffusers names")
    func fluxDiffusers() throws {
        for guidance in [true, false] {
            let kind = detect(SyntheticKeySets.fluxDiffusers(fromBFL: SyntheticKeySets.fluxBFL(guidance: guidance)))
            let name = guidance ? "FLUX.1-dev" : "FLUX.1-schnell"
            #expect(kind.summary == "\(name) transformer, diffusers layout")
            let d = try #require(kind.primary).dimensions
            #expect(d.hiddenSize == 3072 && d.depth == 19 && d.singleBlocks == 38 && d.heads == 24)
            #expect(d.mlpHidden == 12288 && d.inFeatures == 64 && d.contextDim == 4096)
        }
    }

    @Test("Fill and Depth/Canny variants by img_in in-features", arguments: [(384, "Fill"), (128, "Depth/Canny")])
    func fluxVariants(inFeatures: Int, variant: String) {
        let bfl = SyntheticKeySets.fluxBFL(inChannels: inFeatures)
        #expect(detect(bfl).summary == "FLUX.1-dev \(variant) transformer, BFL layout")
        #expect(detect(SyntheticKeySets.fluxDiffusers(fromBFL: bfl)).summary == "FLUX.1-dev \(variant) transformer, diffusers layout")
    }

    @Test("an img_in of unpublished width is still FLUX, with a note")
    func fluxOddInput() throws {
        let c = try #require(detect(SyntheticKeySets.fluxBFL(inChannels: 96)).primary)
        #expect(c.family == .flux1Dev && c.variant == nil)
        #expect(c.notes.contains { $0.contains("96 features") })
    }

    @Test("tiny and fine-tuned FLUX models are recognized by structure; sizes read from shapes")
    func fluxAnySize() throws {
        var rng = TestRNG()
        for _ in 0..<20 {
            let headDim = [8, 16, 32, 64, 128].randomElement(using: &rng)!
            let heads = Int.random(in: 1...6, using: &rng)
            let depth = Int.random(in: 1...5, using: &rng), single = Int.random(in: 0...5, using: &rng)
            let guidance = Bool.random(using: &rng)
            let bfl = SyntheticKeySets.fluxBFL(hidden: heads * headDim, headDim: headDim, depth: depth, singleBlocks: single,
                                               vecDim: 32, contextDim: 48, guidance: guidance)
            for (keys, layout) in [(bfl, WeightLayout.bfl), (SyntheticKeySets.fluxDiffusers(fromBFL: bfl), .diffusers)] {
                let c = try #require(detect(keys.shuffled(using: &rng)).primary, "seed \(rng.seed)")
                #expect(c.family == (guidance ? .flux1Dev : .flux1Schnell), "seed \(rng.seed)")
                #expect(c.layout == layout, "seed \(rng.seed)")
                #expect(c.dimensions.hiddenSize == heads * headDim && c.dimensions.headDim == headDim, "seed \(rng.seed)")
                #expect(c.dimensions.heads == heads && c.dimensions.depth == depth && c.dimensions.singleBlocks == single,
                        "seed \(rng.seed)")
                #expect(c.dimensions.contextDim == 48, "seed \(rng.seed)")
            }
        }
    }

    @Test("every single missing tensor still leaves a FLUX transformer (exhaustive on a tiny model)")
    func fluxRobustToOneMissingTensor() {
        let bfl = SyntheticKeySets.fluxBFL(hidden: 32, headDim: 16, depth: 2, singleBlocks: 2, vecDim: 8, contextDim: 8)
        for keys in [bfl, SyntheticKeySets.fluxDiffusers(fromBFL: bfl)] {
            for i in keys.indices {
                var partial = keys
                let removed = partial.remove(at: i)
                let family = detect(partial).primary?.family
                #expect([.flux1Dev, .flux1Schnell].contains(family), "without \(removed.name): \(String(describing: family))")
            }
        }
    }

    @Test("shards of a sharded diffusers transformer are each FLUX; dev/schnell undecided without the embedders")
    func fluxShards() throws {
        let keys = SyntheticKeySets.fluxDiffusers(fromBFL: SyntheticKeySets.fluxBFL())
        let doubles = keys.filter { $0.name.hasPrefix("transformer_blocks.") }
        let singles = keys.filter { $0.name.hasPrefix("single_transformer_blocks.") }
        for shard in [doubles, singles] {
            let c = try #require(detect(shard).primary)
            #expect(c.family == .flux1)
            #expect(c.layout == .diffusers)
            #expect(c.notes.contains { $0.contains("dev or schnell") })
        }
        #expect(detect(doubles).summary == "FLUX.1 transformer, diffusers layout")
        let bflSingles = SyntheticKeySets.fluxBFL().filter { $0.name.hasPrefix("single_blocks.") }
        #expect(detect(bflSingles).primary?.family == .flux1)
    }

    @Test("autoencoders: FLUX.1 AE in BFL and diffusers names, SD-style 4-channel AE")
    func autoencoders() throws {
        let ae = SyntheticKeySets.autoencoderBFL()
        #expect(detect(ae).summary == "FLUX.1 autoencoder, BFL layout")
        #expect(detect(SyntheticKeySets.autoencoderDiffusers(fromBFL: ae)).summary == "FLUX.1 autoencoder, diffusers layout")
        let d = try #require(detect(ae).primary).dimensions
        #expect(d.latentChannels == 16 && d.baseChannels == 128)
        let sd = detect(SyntheticKeySets.autoencoderBFL(zChannels: 4, quantConvs: true))
        #expect(sd.summary == "SD/SDXL autoencoder, BFL layout")
        let tiny = detect(SyntheticKeySets.autoencoderBFL(ch: 8, mult: [1, 2], zChannels: 16))
        #expect(tiny.summary == "FLUX.1 autoencoder, BFL layout")
        #expect(tiny.primary?.dimensions.baseChannels == 8)
    }

    @Test("text encoders: T5-XXL v1.1, CLIP-L, OpenCLIP bigG, and other sizes")
    func textEncoders() throws {
        let t5 = detect(SyntheticKeySets.t5Encoder())
        #expect(t5.summary == "T5-XXL v1.1 encoder, Hugging Face layout")
        let d = try #require(t5.primary).dimensions
        #expect(d.hiddenSize == 4096 && d.depth == 24 && d.mlpHidden == 10240 && d.heads == 64 && d.vocabulary == 32128)
        #expect(detect(SyntheticKeySets.t5Encoder(dModel: 64, dFF: 128, layers: 2, heads: 4, vocab: 100)).summary
                == "T5 v1.1-style encoder, Hugging Face layout")

        #expect(detect(SyntheticKeySets.clipText()).summary == "CLIP-L text encoder, Hugging Face layout")
        #expect(detect(SyntheticKeySets.clipText(hidden: 1280, layers: 32, intermediate: 5120, projection: true)).summary
                == "OpenCLIP bigG text encoder, Hugging Face layout")
        #expect(detect(SyntheticKeySets.clipText(hidden: 64, layers: 2, intermediate: 128)).summary
                == "CLIP text encoder, Hugging Face layout")
    }

    @Test("SD3 family in SAI names: SD3.5 Large, SD3.5 Medium, SD3 Medium, other sizes")
    func sd3() throws {
        let large = detect(SyntheticKeySets.sd3SAI(hidden: 2432, depth: 38, qkNorm: true))
        #expect(large.summary == "SD3.5 Large transformer, SAI layout")
        let d = try #require(large.primary).dimensions
        #expect(d.hiddenSize == 2432 && d.depth == 38 && d.heads == 38 && d.headDim == 64 && d.contextDim == 4096)
        let medium = SyntheticKeySets.sd3SAI(hidden: 1536, depth: 24, qkNorm: true, dualLayers: 0..<13, posEmbedMax: 384)
        #expect(detect(medium).summary == "SD3.5 Medium transformer, SAI layout")
        #expect(detect(SyntheticKeySets.sd3SAI(hidden: 1536, depth: 24, qkNorm: false)).summary == "SD3 Medium transformer, SAI layout")
        let other = try #require(detect(SyntheticKeySets.sd3SAI(hidden: 128, depth: 2, qkNorm: true)).primary)
        #expect(other.family == .sd3Other && other.dimensions.depth == 2 && other.dimensions.heads == 2)
    }

    @Test("Qwen-Image transformer")
    func qwenImage() throws {
        let kind = detect(SyntheticKeySets.qwenImage())
        #expect(kind.summary == "Qwen-Image transformer, diffusers layout")
        let d = try #require(kind.primary).dimensions
        #expect(d.hiddenSize == 3072 && d.depth == 60 && d.heads == 24 && d.contextDim == 3584 && d.inFeatures == 64)
        let tiny = detect(SyntheticKeySets.qwenImage(hidden: 64, headDim: 16, depth: 2, contextDim: 40))
        #expect(tiny.primary?.family == .qwenImage && tiny.primary?.dimensions.depth == 2)
    }

    @Test("no family is taken for another: each key set gives exactly its family")
    func noConfusion() {
        let cases: [([KeyEntry], ModelFamily)] = [
            (SyntheticKeySets.fluxBFL(), .flux1Dev),
            (SyntheticKeySets.fluxDiffusers(fromBFL: SyntheticKeySets.fluxBFL(guidance: false)), .flux1Schnell),
            (SyntheticKeySets.autoencoderBFL(), .flux1Autoencoder),
            (SyntheticKeySets.autoencoderDiffusers(fromBFL: SyntheticKeySets.autoencoderBFL()), .flux1Autoencoder),
            (SyntheticKeySets.t5Encoder(), .t5xxl),
            (SyntheticKeySets.clipText(), .clipL),
            (SyntheticKeySets.sd3SAI(hidden: 2432, depth: 38, qkNorm: true), .sd35Large),
            (SyntheticKeySets.qwenImage(), .qwenImage),
        ]
        for (keys, family) in cases {
            let kind = detect(keys)
            #expect(kind.components.map(\.family) == [family], "\(kind.summary)")
        }
    }

    @Test("unknown files: random names, empty files, another model under a known prefix")
    func unknown() {
        var rng = TestRNG()
        let n = Int.random(in: 1...50, using: &rng)
        let names = (0..<n).map { i in KeyEntry("layer\(i).w\(rng.next() % 1000)", "F32", [Int(rng.next() % 9) + 1]) }
        #expect(detect(names).summary == "unknown (\(n) tensors)", "seed \(rng.seed)")
        #expect(detect([]).summary == "unknown (0 tensors)")
        let unet: [KeyEntry] = [("model.diffusion_model.input_blocks.0.0.weight", "F16", [320, 4, 3, 3]),
                                ("model.diffusion_model.out.2.bias", "F16", [4])]
        let kind = detect(unet)
        #expect(kind.summary == "unknown (2 tensors)")
        #expect(kind.components.first?.summary == "unknown (2 tensors) under 'model.diffusion_model.'")
    }

    @Test("LoRA adapters")
    func lora() throws {
        let keys: [KeyEntry] = [
            ("transformer.single_transformer_blocks.0.attn.to_k.lora_A.weight", "BF16", [16, 3072]),
            ("transformer.single_transformer_blocks.0.attn.to_k.lora_B.weight", "BF16", [3072, 16]),
        ]
        let c = try #require(detect(keys).primary)
        #expect(c.family == .lora && c.notes == ["1 low-rank pairs", "rank 16"])
    }
}
