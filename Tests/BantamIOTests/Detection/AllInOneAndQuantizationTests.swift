import Testing
import BantamIO
import BantamTestSupport

/// Prefixed single-file checkpoints (formats.md §4.5, §7.1) and quantization markers (§4, §5).
@Suite("Model detection: all-in-one files and quantization")
struct AllInOneAndQuantizationTests {
    /// The four parts of the Comfy-Org FLUX all-in-one checkpoint, with their prefixes.
    static func fluxParts() -> [(label: String, keys: [KeyEntry])] {
        [
            ("transformer", SyntheticKeySets.prefixed(SyntheticKeySets.fluxBFL(), "model.diffusion_model.")),
            ("CLIP-L", SyntheticKeySets.prefixed(SyntheticKeySets.clipText(projection: true), "text_encoders.clip_l.transformer.")
                + [("text_encoders.clip_l.logit_scale", "F32", [])]),
            ("T5-XXL", SyntheticKeySets.prefixed(SyntheticKeySets.t5Encoder(), "text_encoders.t5xxl.transformer.")),
            ("VAE", SyntheticKeySets.prefixed(SyntheticKeySets.autoencoderBFL(dtype: "BF16"), "vae.")),
        ]
    }

    @Test("FLUX.1-dev all-in-one, ComfyUI layout: the whole file and every subset of its parts (exhaustive)")
    func fluxAllInOne() throws {
        let parts = Self.fluxParts()
        let whole = detect(parts.flatMap(\.keys))
        #expect(whole.summary == "FLUX.1-dev all-in-one checkpoint, ComfyUI layout (transformer, CLIP-L, T5-XXL, VAE)")
        #expect(whole.components.map(\.prefix) == ["model.diffusion_model.", "text_encoders.clip_l.transformer.",
                                                    "text_encoders.t5xxl.transformer.", "vae."])
        #expect(whole.components.map(\.family) == [.flux1Dev, .clipL, .t5xxl, .flux1Autoencoder])
        #expect(whole.components[1].tensorCount == 198)   // 196 + text_projection + logit_scale

        for mask in 1..<(1 << parts.count) {
            let chosen = parts.indices.filter { mask & (1 << $0) != 0 }
            // Parts in a scrambled file order: detection must order them itself.
            let keys = chosen.reversed().flatMap { parts[$0].keys }
            let kind = detect(keys)
            let labels = chosen.map { parts[$0].label }
            #expect(kind.components.map(\.shortLabel) == labels, "mask \(mask)")
            if chosen.count == 1 {
                #expect(kind.summary.hasSuffix("under '\(kind.components[0].prefix)'"), "mask \(mask): \(kind.summary)")
            } else if chosen.contains(0) {
                #expect(kind.summary == "FLUX.1-dev all-in-one checkpoint, ComfyUI layout (\(labels.joined(separator: ", ")))")
            } else {
                #expect(kind.summary == "checkpoint with \(chosen.count) components (\(labels.joined(separator: ", ")))")
            }
        }
    }

    @Test("SD3.5 Large single file, SAI layout, with CLIP-L, CLIP-G, T5-XXL and an SD3 VAE")
    func sd3AllInOne() throws {
        let keys = SyntheticKeySets.prefixed(SyntheticKeySets.autoencoderBFL(), "first_stage_model.")
            + SyntheticKeySets.prefixed(SyntheticKeySets.sd3SAI(hidden: 2432, depth: 38, qkNorm: true), "model.diffusion_model.")
            + SyntheticKeySets.prefixed(SyntheticKeySets.t5Encoder(), "text_encoders.t5xxl.transformer.")
            + SyntheticKeySets.prefixed(SyntheticKeySets.clipText(hidden: 1280, layers: 32, intermediate: 5120, projection: true),
                                        "text_encoders.clip_g.transformer.")
            + SyntheticKeySets.prefixed(SyntheticKeySets.clipText(), "text_encoders.clip_l.transformer.")
        let kind = detect(keys)
        #expect(kind.summary == "SD3.5 Large all-in-one checkpoint, SAI layout (transformer, CLIP-L, CLIP-G, T5-XXL, VAE)")
        #expect(kind.components.last?.family == .sd3Autoencoder)
        #expect(kind.components.last?.name == "SD3 autoencoder")
    }

    @Test("legacy ComfyUI scaled FP8: marker, per-layer scale_weight, matmul flag from the marker size")
    func scaledFP8() throws {
        let base = SyntheticKeySets.fluxBFL()
        let layers = base.filter(SyntheticKeySets.isBlockLinearWeight).count
        #expect(layers == 19 * 2 * 5 + 38 * 3)
        for (markerElements, inputs) in [(0, false), (2, true)] {
            let kind = detect(SyntheticKeySets.scaledFP8(base, markerElements: markerElements, inputScales: inputs))
            #expect(kind.summary == "FLUX.1-dev transformer, BFL layout; ComfyUI scaled FP8 (scaled_fp8 marker, per-layer scale_weight)")
            let c = try #require(kind.primary)
            #expect(c.quantization == [.scaledFP8(storage: "F8_E4M3", scaledLayers: layers, inputScales: inputs ? layers : 0,
                                                   fp8MatmulAllowed: markerElements == 0)])
            #expect(c.dimensions.hiddenSize == 3072 && c.dimensions.depth == 19)
        }
        // Inside an all-in-one file the marker carries the transformer's prefix.
        let aio = SyntheticKeySets.prefixed(SyntheticKeySets.scaledFP8(base), "model.diffusion_model.")
            + SyntheticKeySets.prefixed(SyntheticKeySets.autoencoderBFL(), "vae.")
        let kind = detect(aio)
        #expect(kind.summary == "FLUX.1-dev all-in-one checkpoint, ComfyUI layout (transformer, VAE); transformer: ComfyUI scaled FP8 (scaled_fp8 marker, per-layer scale_weight)")
        // A scaled T5 (t5xxl_fp8_e4m3fn_scaled) is recognized too.
        let t5 = detect(SyntheticKeySets.scaledFP8(SyntheticKeySets.t5Encoder()))
        #expect(t5.primary?.family == .t5xxl)
        #expect(t5.summary.hasSuffix("; ComfyUI scaled FP8 (scaled_fp8 marker, per-layer scale_weight)"))
    }

    @Test("comfy_quant mixed precision: per-layer configs, or configs in the file metadata")
    func comfyQuant() throws {
        let base = SyntheticKeySets.fluxBFL(hidden: 64, headDim: 16, depth: 2, singleBlocks: 3)
        let layers = base.filter(SyntheticKeySets.isBlockLinearWeight).count
        let kind = detect(SyntheticKeySets.comfyQuant(base))
        #expect(kind.summary == "FLUX.1-dev transformer, BFL layout; comfy_quant mixed precision")
        #expect(kind.primary?.quantization == [.comfyQuant(layers: layers, weightScales: layers, configsInMetadata: false)])
        let viaMetadata = detect(SyntheticKeySets.plainFP8(base), metadata: ["_quantization_metadata": "{\"layers\": {}}"])
        #expect(viaMetadata.primary?.quantization == [.comfyQuant(layers: 0, weightScales: 0, configsInMetadata: true)])
    }

    @Test("bitsandbytes NF4 v1 (double-quantized absmax) and v2 (float32 absmax); sizes still read")
    func bitsAndBytes() throws {
        let base = SyntheticKeySets.fluxBFL()
        let layers = base.filter(SyntheticKeySets.isBlockLinearWeight).count
        for version in [1, 2] {
            let kind = detect(SyntheticKeySets.bitsAndBytesNF4(base, version: version))
            let label = version == 1 ? "bitsandbytes NF4 v1 (double-quantized absmax)" : "bitsandbytes NF4 v2 (float32 absmax)"
            #expect(kind.summary == "FLUX.1-dev transformer, BFL layout; \(label)")
            let c = try #require(kind.primary)
            #expect(c.quantization == [.bitsAndBytesNF4(version: version, layers: layers)])
            #expect(c.dimensions.hiddenSize == 3072 && c.dimensions.depth == 19 && c.dimensions.singleBlocks == 38)
            #expect(c.dimensions.mlpHidden == 12288 && c.dimensions.heads == 24)
        }
        // Forge's all-in-one NF4 file: NF4 transformer, fp8 T5, fp16 CLIP-L, bf16 VAE (formats.md §5.1).
        let aio = SyntheticKeySets.prefixed(SyntheticKeySets.bitsAndBytesNF4(base, version: 2), "model.diffusion_model.")
            + SyntheticKeySets.prefixed(SyntheticKeySets.clipText(), "text_encoders.clip_l.transformer.")
            + SyntheticKeySets.prefixed(SyntheticKeySets.plainFP8(SyntheticKeySets.t5Encoder()), "text_encoders.t5xxl.transformer.")
            + SyntheticKeySets.prefixed(SyntheticKeySets.autoencoderBFL(dtype: "BF16"), "vae.")
        #expect(detect(aio).summary == "FLUX.1-dev all-in-one checkpoint, ComfyUI layout (transformer, CLIP-L, T5-XXL, VAE); "
                + "transformer: bitsandbytes NF4 v2 (float32 absmax); T5-XXL: plain FP8 (F8_E4M3 weights)")
    }

    @Test("plain FP8 weights, e4m3 and e5m2")
    func plainFP8() throws {
        let base = SyntheticKeySets.fluxBFL(guidance: false)
        let layers = base.filter(SyntheticKeySets.isBlockLinearWeight).count
        let e4 = detect(SyntheticKeySets.plainFP8(base))
        #expect(e4.summary == "FLUX.1-schnell transformer, BFL layout; plain FP8 (F8_E4M3 weights)")
        #expect(e4.primary?.quantization == [.plainFP8(dtypes: ["F8_E4M3"], tensors: layers)])
        let mixed = SyntheticKeySets.plainFP8(base, dtype: "F8_E5M2") + [("img_in.extra", "F8_E4M3", [4])]
        #expect(detect(mixed).primary?.quantization == [.plainFP8(dtypes: ["F8_E4M3", "F8_E5M2"], tensors: layers + 1)])
        #expect(detect(base).primary?.quantization == [])
    }
}
