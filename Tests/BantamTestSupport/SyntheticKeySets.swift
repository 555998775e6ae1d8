/// Tensor key sets of real checkpoints, generated from the tables in /work/shared/reference/formats.md
/// (names, shapes, dtypes; no data), for testing detection and inspection without multi-GB files.
/// Every generator takes the model sizes, so the same code yields the published models and tiny ones.

/// One header entry: (name, safetensors dtype string, shape).
public typealias KeyEntry = (name: String, dtype: String, shape: [Int])

public enum SyntheticKeySets {
    // MARK: FLUX.1 transformer (formats.md §2.1-2.3)

    /// FLUX.1 in BFL names (§2.2): 780 tensors for dev, 776 for schnell at the published sizes.
    public static func fluxBFL(hidden: Int = 3072, headDim: Int = 128, depth: Int = 19, singleBlocks: Int = 38,
                               inChannels: Int = 64, vecDim: Int = 768, contextDim: Int = 4096, mlpRatio: Int = 4,
                               guidance: Bool = true, dtype: String = "BF16") -> [KeyEntry] {
        let h = hidden, mlp = hidden * mlpRatio
        var k: [KeyEntry] = []
        func linear(_ name: String, _ out: Int, _ inp: Int) {
            k.append((name + ".weight", dtype, [out, inp]))
            k.append((name + ".bias", dtype, [out]))
        }
        linear("img_in", h, inChannels)
        linear("time_in.in_layer", h, 256)
        linear("time_in.out_layer", h, h)
        linear("vector_in.in_layer", h, vecDim)
        linear("vector_in.out_layer", h, h)
        if guidance {
            linear("guidance_in.in_layer", h, 256)
            linear("guidance_in.out_layer", h, h)
        }
        linear("txt_in", h, contextDim)
        for i in 0..<depth {
            for s in ["img", "txt"] {
                let p = "double_blocks.\(i).\(s)"
                linear(p + "_mod.lin", 6 * h, h)
                linear(p + "_attn.qkv", 3 * h, h)
                k.append((p + "_attn.norm.query_norm.scale", dtype, [headDim]))
                k.append((p + "_attn.norm.key_norm.scale", dtype, [headDim]))
                linear(p + "_attn.proj", h, h)
                linear(p + "_mlp.0", mlp, h)
                linear(p + "_mlp.2", h, mlp)
            }
        }
        for i in 0..<singleBlocks {
            let p = "single_blocks.\(i)"
            linear(p + ".linear1", 3 * h + mlp, h)
            linear(p + ".linear2", h, h + mlp)
            k.append((p + ".norm.query_norm.scale", dtype, [headDim]))
            k.append((p + ".norm.key_norm.scale", dtype, [headDim]))
            linear(p + ".modulation.lin", 3 * h, h)
        }
        linear("final_layer.linear", inChannels, h)
        linear("final_layer.adaLN_modulation.1", 2 * h, h)
        return k
    }

    /// The diffusers names of a BFL key set (§2.3): fused qkv and linear1 split, names mapped.
    public static func fluxDiffusers(fromBFL bfl: [KeyEntry]) -> [KeyEntry] {
        var out: [KeyEntry] = []
        let top: [(String, String)] = [
            ("time_in.in_layer", "time_text_embed.timestep_embedder.linear_1"),
            ("time_in.out_layer", "time_text_embed.timestep_embedder.linear_2"),
            ("vector_in.in_layer", "time_text_embed.text_embedder.linear_1"),
            ("vector_in.out_layer", "time_text_embed.text_embedder.linear_2"),
            ("guidance_in.in_layer", "time_text_embed.guidance_embedder.linear_1"),
            ("guidance_in.out_layer", "time_text_embed.guidance_embedder.linear_2"),
            ("txt_in", "context_embedder"), ("img_in", "x_embedder"),
            ("final_layer.linear", "proj_out"), ("final_layer.adaLN_modulation.1", "norm_out.linear"),
        ]
        let double: [(String, String)] = [
            ("img_mod.lin", "norm1.linear"), ("txt_mod.lin", "norm1_context.linear"),
            ("img_attn.norm.query_norm.scale", "attn.norm_q.weight"), ("img_attn.norm.key_norm.scale", "attn.norm_k.weight"),
            ("txt_attn.norm.query_norm.scale", "attn.norm_added_q.weight"), ("txt_attn.norm.key_norm.scale", "attn.norm_added_k.weight"),
            ("img_attn.proj", "attn.to_out.0"), ("txt_attn.proj", "attn.to_add_out"),
            ("img_mlp.0", "ff.net.0.proj"), ("img_mlp.2", "ff.net.2"),
            ("txt_mlp.0", "ff_context.net.0.proj"), ("txt_mlp.2", "ff_context.net.2"),
        ]
        let single: [(String, String)] = [
            ("modulation.lin", "norm.linear"), ("norm.query_norm.scale", "attn.norm_q.weight"),
            ("norm.key_norm.scale", "attn.norm_k.weight"), ("linear2", "proj_out"),
        ]
        func mapped(_ rest: String, _ table: [(String, String)]) -> String? {
            for (from, to) in table {
                if rest == from { return to }
                if rest.hasPrefix(from + ".") { return to + rest.dropFirst(from.count) }
            }
            return nil
        }
        for e in bfl {
            let parts = e.name.split(separator: ".", maxSplits: 2).map(String.init)
            if parts[0] == "double_blocks" {
                let (i, rest) = (parts[1], parts[2])
                let p = "transformer_blocks.\(i)."
                if rest.hasPrefix("img_attn.qkv.") || rest.hasPrefix("txt_attn.qkv.") {
                    let suffix = rest.hasSuffix("weight") ? "weight" : "bias"
                    let names = rest.hasPrefix("img") ? ["to_q", "to_k", "to_v"] : ["add_q_proj", "add_k_proj", "add_v_proj"]
                    var shape = e.shape; shape[0] /= 3
                    for n in names { out.append((p + "attn.\(n).\(suffix)", e.dtype, shape)) }
                } else if let m = mapped(rest, double) {
                    out.append((p + m, e.dtype, e.shape))
                } else { preconditionFailure("unmapped \(e.name)") }
            } else if parts[0] == "single_blocks" {
                let (i, rest) = (parts[1], parts[2])
                let p = "single_transformer_blocks.\(i)."
                if rest.hasPrefix("linear1.") {
                    let suffix = rest.hasSuffix("weight") ? "weight" : "bias"
                    let h = e.shape[0] / 7, mlp = e.shape[0] - 3 * h  // rows: 3h + 4h at ratio 4
                    for (n, rows) in [("attn.to_q", h), ("attn.to_k", h), ("attn.to_v", h), ("proj_mlp", mlp)] {
                        var shape = e.shape; shape[0] = rows
                        out.append((p + n + "." + suffix, e.dtype, shape))
                    }
                } else if let m = mapped(rest, single) {
                    out.append((p + m, e.dtype, e.shape))
                } else { preconditionFailure("unmapped \(e.name)") }
            } else if let m = mapped(e.name, top) {
                out.append((m, e.dtype, e.shape))
            } else { preconditionFailure("unmapped \(e.name)") }
        }
        return out
    }

    // MARK: Autoencoder (formats.md §2.8)

    /// The FLUX.1 AE in BFL/ldm names: 244 tensors, 83,819,683 parameters at the published sizes.
    public static func autoencoderBFL(ch: Int = 128, mult: [Int] = [1, 2, 4, 4], zChannels: Int = 16,
                                      quantConvs: Bool = false, dtype: String = "F32") -> [KeyEntry] {
        var k: [KeyEntry] = []
        func conv(_ name: String, _ out: Int, _ inp: Int, _ size: Int) {
            k.append((name + ".weight", dtype, [out, inp, size, size]))
            k.append((name + ".bias", dtype, [out]))
        }
        func norm(_ name: String, _ c: Int) {
            k.append((name + ".weight", dtype, [c]))
            k.append((name + ".bias", dtype, [c]))
        }
        func resnet(_ p: String, _ inp: Int, _ out: Int) {
            norm(p + ".norm1", inp); conv(p + ".conv1", out, inp, 3)
            norm(p + ".norm2", out); conv(p + ".conv2", out, out, 3)
            if inp != out { conv(p + ".nin_shortcut", out, inp, 1) }
        }
        func mid(_ p: String, _ c: Int) {
            resnet(p + ".mid.block_1", c, c)
            norm(p + ".mid.attn_1.norm", c)
            for n in ["q", "k", "v", "proj_out"] { conv(p + ".mid.attn_1.\(n)", c, c, 1) }
            resnet(p + ".mid.block_2", c, c)
        }
        let chans = mult.map { $0 * ch }
        conv("encoder.conv_in", ch, 3, 3)
        var cur = ch
        for (l, c) in chans.enumerated() {
            for b in 0..<2 { resnet("encoder.down.\(l).block.\(b)", cur, c); cur = c }
            if l < chans.count - 1 { conv("encoder.down.\(l).downsample.conv", c, c, 3) }
        }
        mid("encoder", cur)
        norm("encoder.norm_out", cur)
        conv("encoder.conv_out", 2 * zChannels, cur, 3)
        if quantConvs {
            conv("quant_conv", 2 * zChannels, 2 * zChannels, 1)
            conv("post_quant_conv", zChannels, zChannels, 1)
        }
        let top = chans.last!
        conv("decoder.conv_in", top, zChannels, 3)
        mid("decoder", top)
        cur = top
        for l in stride(from: chans.count - 1, through: 0, by: -1) {
            for b in 0..<3 { resnet("decoder.up.\(l).block.\(b)", cur, chans[l]); cur = chans[l] }
            if l > 0 { conv("decoder.up.\(l).upsample.conv", cur, cur, 3) }
        }
        norm("decoder.norm_out", cur)
        conv("decoder.conv_out", 3, cur, 3)
        return k
    }

    /// The diffusers AutoencoderKL names of a BFL AE key set (§2.8), attention convs squeezed to Linear.
    public static func autoencoderDiffusers(fromBFL bfl: [KeyEntry]) -> [KeyEntry] {
        let levels = 1 + bfl.compactMap { e -> Int? in
            let p = e.name.split(separator: ".")
            return p.count > 2 && p[0] == "decoder" && p[1] == "up" ? Int(p[2]) : nil
        }.max()!
        return bfl.map { e in
            var n = e.name, shape = e.shape
            let attn = [("norm", "group_norm"), ("q", "to_q"), ("k", "to_k"), ("v", "to_v"), ("proj_out", "to_out.0")]
            for (from, to) in attn where n.contains(".mid.attn_1.\(from).") {
                n = n.replacingOccurrences(".mid.attn_1.\(from).", ".mid_block.attentions.0.\(to).")
                if shape.count == 4 { shape = [shape[0], shape[1]] }
            }
            n = n.replacingOccurrences(".mid.block_1.", ".mid_block.resnets.0.")
                 .replacingOccurrences(".mid.block_2.", ".mid_block.resnets.1.")
                 .replacingOccurrences(".nin_shortcut.", ".conv_shortcut.")
                 .replacingOccurrences(".norm_out.", ".conv_norm_out.")
                 .replacingOccurrences(".downsample.conv.", ".downsamplers.0.conv.")
                 .replacingOccurrences(".upsample.conv.", ".upsamplers.0.conv.")
            if n.hasPrefix("encoder.down.") {
                n = n.replacingOccurrences(".block.", ".resnets.").replacingOccurrences("encoder.down.", "encoder.down_blocks.")
            }
            if n.hasPrefix("decoder.up.") {
                let parts = n.split(separator: ".", maxSplits: 3).map(String.init)
                let level = levels - 1 - Int(parts[2])!
                n = "decoder.up_blocks.\(level)." + parts[3].replacingOccurrences("block.", "resnets.")
            }
            return (n, e.dtype, shape)
        }
    }

    // MARK: Text encoders (formats.md §3.2, §3.4)

    /// HF T5EncoderModel: 219 tensors, 4,762,310,656 parameters for T5-XXL v1.1.
    public static func t5Encoder(dModel: Int = 4096, dFF: Int = 10240, layers: Int = 24, heads: Int = 64,
                                 vocab: Int = 32128, dtype: String = "BF16") -> [KeyEntry] {
        var k: [KeyEntry] = [("shared.weight", dtype, [vocab, dModel])]
        for i in 0..<layers {
            let p = "encoder.block.\(i).layer."
            for n in ["q", "k", "v", "o"] { k.append((p + "0.SelfAttention.\(n).weight", dtype, [dModel, dModel])) }
            if i == 0 { k.append((p + "0.SelfAttention.relative_attention_bias.weight", dtype, [32, heads])) }
            k.append((p + "0.layer_norm.weight", dtype, [dModel]))
            k.append((p + "1.DenseReluDense.wi_0.weight", dtype, [dFF, dModel]))
            k.append((p + "1.DenseReluDense.wi_1.weight", dtype, [dFF, dModel]))
            k.append((p + "1.DenseReluDense.wo.weight", dtype, [dModel, dFF]))
            k.append((p + "1.layer_norm.weight", dtype, [dModel]))
        }
        k.append(("encoder.final_layer_norm.weight", dtype, [dModel]))
        return k
    }

    /// HF CLIPTextModel: 196 tensors, 123,060,480 parameters for CLIP-L (hidden 768, 12 layers, MLP 3072).
    public static func clipText(hidden: Int = 768, layers: Int = 12, intermediate: Int = 3072, vocab: Int = 49408,
                                positions: Int = 77, projection: Bool = false, dtype: String = "F16") -> [KeyEntry] {
        var k: [KeyEntry] = [
            ("text_model.embeddings.token_embedding.weight", dtype, [vocab, hidden]),
            ("text_model.embeddings.position_embedding.weight", dtype, [positions, hidden]),
        ]
        func linear(_ name: String, _ out: Int, _ inp: Int) {
            k.append((name + ".weight", dtype, [out, inp]))
            k.append((name + ".bias", dtype, [out]))
        }
        for i in 0..<layers {
            let p = "text_model.encoder.layers.\(i)."
            for n in ["q_proj", "k_proj", "v_proj", "out_proj"] { linear(p + "self_attn." + n, hidden, hidden) }
            k.append((p + "layer_norm1.weight", dtype, [hidden])); k.append((p + "layer_norm1.bias", dtype, [hidden]))
            linear(p + "mlp.fc1", intermediate, hidden)
            linear(p + "mlp.fc2", hidden, intermediate)
            k.append((p + "layer_norm2.weight", dtype, [hidden])); k.append((p + "layer_norm2.bias", dtype, [hidden]))
        }
        k.append(("text_model.final_layer_norm.weight", dtype, [hidden]))
        k.append(("text_model.final_layer_norm.bias", dtype, [hidden]))
        if projection { k.append(("text_projection.weight", dtype, [hidden, hidden])) }
        return k
    }

    // MARK: SD3 / SD3.5 and Qwen-Image (formats.md §7)

    /// SD3-family MMDiT in SAI names. SD3.5 Large: hidden 2432, depth 38, qkNorm; SD3.5 Medium: 1536, 24,
    /// qkNorm, dual attention in layers 0...12; SD3 Medium: 1536, 24, neither.
    public static func sd3SAI(hidden: Int, depth: Int, qkNorm: Bool, dualLayers: Range<Int> = 0..<0,
                              posEmbedMax: Int = 192, dtype: String = "F16") -> [KeyEntry] {
        let d = hidden
        var k: [KeyEntry] = [
            ("x_embedder.proj.weight", dtype, [d, 16, 2, 2]), ("x_embedder.proj.bias", dtype, [d]),
            ("pos_embed", dtype, [1, posEmbedMax * posEmbedMax, d]),
        ]
        func linear(_ name: String, _ out: Int, _ inp: Int) {
            k.append((name + ".weight", dtype, [out, inp]))
            k.append((name + ".bias", dtype, [out]))
        }
        linear("t_embedder.mlp.0", d, 256); linear("t_embedder.mlp.2", d, d)
        linear("y_embedder.mlp.0", d, 2048); linear("y_embedder.mlp.2", d, d)
        linear("context_embedder", d, 4096)
        for i in 0..<depth {
            for block in ["x_block", "context_block"] {
                let p = "joint_blocks.\(i).\(block)."
                let preOnly = block == "context_block" && i == depth - 1
                let dual = block == "x_block" && dualLayers.contains(i)
                linear(p + "adaLN_modulation.1", (preOnly ? 2 : dual ? 9 : 6) * d, d)
                linear(p + "attn.qkv", 3 * d, d)
                if !preOnly { linear(p + "attn.proj", d, d) }
                if qkNorm {
                    k.append((p + "attn.ln_q.weight", dtype, [64])); k.append((p + "attn.ln_k.weight", dtype, [64]))
                }
                if dual {
                    linear(p + "attn2.qkv", 3 * d, d); linear(p + "attn2.proj", d, d)
                    k.append((p + "attn2.ln_q.weight", dtype, [64])); k.append((p + "attn2.ln_k.weight", dtype, [64]))
                }
                if !preOnly { linear(p + "mlp.fc1", 4 * d, d); linear(p + "mlp.fc2", d, 4 * d) }
            }
        }
        linear("final_layer.linear", 64, d)
        linear("final_layer.adaLN_modulation.1", 2 * d, d)
        return k
    }

    /// Qwen-Image transformer (§7.2): 60 double-stream blocks, hidden 3072, text width 3584, ≈ 20.4 B params.
    public static func qwenImage(hidden: Int = 3072, headDim: Int = 128, depth: Int = 60, contextDim: Int = 3584,
                                 dtype: String = "BF16") -> [KeyEntry] {
        let h = hidden
        var k: [KeyEntry] = []
        func linear(_ name: String, _ out: Int, _ inp: Int) {
            k.append((name + ".weight", dtype, [out, inp]))
            k.append((name + ".bias", dtype, [out]))
        }
        linear("img_in", h, 64)
        k.append(("txt_norm.weight", dtype, [contextDim]))
        linear("txt_in", h, contextDim)
        linear("time_text_embed.timestep_embedder.linear_1", h, 256)
        linear("time_text_embed.timestep_embedder.linear_2", h, h)
        for i in 0..<depth {
            let p = "transformer_blocks.\(i)."
            linear(p + "img_mod.1", 6 * h, h); linear(p + "txt_mod.1", 6 * h, h)
            for n in ["to_q", "to_k", "to_v", "add_q_proj", "add_k_proj", "add_v_proj", "to_out.0", "to_add_out"] {
                linear(p + "attn." + n, h, h)
            }
            for n in ["norm_q", "norm_k", "norm_added_q", "norm_added_k"] { k.append((p + "attn.\(n).weight", dtype, [headDim])) }
            for s in ["img_mlp", "txt_mlp"] {
                linear(p + s + ".net.0.proj", 4 * h, h); linear(p + s + ".net.2", h, 4 * h)
            }
        }
        linear("norm_out.linear", 2 * h, h)
        linear("proj_out", 64, h)
        return k
    }

    // MARK: Prefixes and quantization (formats.md §4, §5)

    public static func prefixed(_ keys: [KeyEntry], _ prefix: String) -> [KeyEntry] {
        keys.map { (prefix + $0.name, $0.dtype, $0.shape) }
    }

    /// Whether a tensor is the weight of a Linear inside a block (what the quantizers convert).
    public static func isBlockLinearWeight(_ e: KeyEntry) -> Bool {
        e.shape.count == 2 && e.name.hasSuffix(".weight") && (e.name.contains("blocks.") || e.name.contains(".block."))
    }

    /// bitsandbytes NF4 as Forge saves it (§5.2): v1 (nested absmax) or v2 (F32 absmax).
    public static func bitsAndBytesNF4(_ keys: [KeyEntry], version: Int, prefix: String = "") -> [KeyEntry] {
        var out: [KeyEntry] = []
        for e in keys {
            guard isBlockLinearWeight(e) else { out.append(e); continue }
            let n = e.shape[0] * e.shape[1], w = e.name
            out.append((w, "U8", [n / 2, 1]))
            out.append((w + ".absmax", version == 1 ? "U8" : "F32", [n / 64]))
            out.append((w + ".quant_map", "F32", [16]))
            if version == 1 {
                out.append((w + ".nested_absmax", "F32", [(n / 64 + 255) / 256]))
                out.append((w + ".nested_quant_map", "F32", [256]))
            }
            out.append((w + ".quant_state.bitsandbytes__nf4", "U8", [version == 1 ? 180 : 100]))
        }
        return out
    }

    /// Legacy ComfyUI scaled fp8 (§4.3): marker + F8_E4M3 block Linear weights + F32 scalar scale_weight.
    public static func scaledFP8(_ keys: [KeyEntry], markerElements: Int = 0, inputScales: Bool = false) -> [KeyEntry] {
        var out: [KeyEntry] = [("scaled_fp8", "F8_E4M3", [markerElements])]
        for e in keys {
            guard isBlockLinearWeight(e) else { out.append(e); continue }
            out.append((e.name, "F8_E4M3", e.shape))
            let layer = String(e.name.dropLast(".weight".count))
            out.append((layer + ".scale_weight", "F32", []))
            if inputScales { out.append((layer + ".scale_input", "F32", [])) }
        }
        return out
    }

    /// ComfyUI mixed precision (§4.4): per-layer comfy_quant JSON (U8) and F32 weight_scale.
    public static func comfyQuant(_ keys: [KeyEntry]) -> [KeyEntry] {
        var out: [KeyEntry] = []
        for e in keys {
            guard isBlockLinearWeight(e) else { out.append(e); continue }
            let layer = String(e.name.dropLast(".weight".count))
            out.append((e.name, "F8_E4M3", e.shape))
            out.append((layer + ".weight_scale", "F32", []))
            out.append((layer + ".comfy_quant", "U8", [29]))
        }
        return out
    }

    /// Plain fp8 (§4.1): block Linear weights stored as `dtype`, no scales.
    public static func plainFP8(_ keys: [KeyEntry], dtype: String = "F8_E4M3") -> [KeyEntry] {
        keys.map { isBlockLinearWeight($0) ? ($0.name, dtype, $0.shape) : $0 }
    }

    /// Number of parameters (elements) of a key set.
    public static func parameterCount(_ keys: [KeyEntry]) -> Int {
        keys.reduce(0) { $0 + $1.shape.reduce(1, *) }
    }
}

extension String {
    /// Literal replacement without Foundation.
    func replacingOccurrences(_ target: String, _ replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var result = ""
        var rest = self[...]
        while let range = rest.firstRange(of: target) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}
