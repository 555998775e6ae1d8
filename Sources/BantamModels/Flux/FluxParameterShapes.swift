import BantamCore

/// Every parameter of a FLUX.1 transformer under its BFL name, with its shape (formats.md §2.2): what a
/// synthetic checkpoint must contain (`bantam bench --synthetic`, `bench flux-step`), and what a strict
/// BFL-layout load consumes. FLUX.1-dev at full size: 780 tensors, 11,901,408,320 parameters.
extension FluxTransformerConfig {
    public func bflParameterShapes() -> [(name: String, shape: Shape)] {
        var out: [(String, Shape)] = []
        func linear(_ name: String, in inFeatures: Int, out outFeatures: Int) {
            out.append(("\(name).weight", [outFeatures, inFeatures]))
            out.append(("\(name).bias", [outFeatures]))
        }
        func embedder(_ name: String, in inFeatures: Int) {      // MLPEmbedder: Linear, SiLU, Linear
            linear("\(name).in_layer", in: inFeatures, out: hidden)
            linear("\(name).out_layer", in: hidden, out: hidden)
        }
        linear("img_in", in: inChannels, out: hidden)
        embedder("time_in", in: Self.timestepDim)
        embedder("vector_in", in: pooledDim)
        if guidanceEmbed { embedder("guidance_in", in: Self.timestepDim) }
        linear("txt_in", in: contextDim, out: hidden)
        for i in 0..<doubleBlocks {
            for stream in ["img", "txt"] {
                let p = "double_blocks.\(i).\(stream)"
                linear("\(p)_mod.lin", in: hidden, out: 6 * hidden)
                linear("\(p)_attn.qkv", in: hidden, out: 3 * hidden)
                out.append(("\(p)_attn.norm.query_norm.scale", [headDim]))
                out.append(("\(p)_attn.norm.key_norm.scale", [headDim]))
                linear("\(p)_attn.proj", in: hidden, out: hidden)
                linear("\(p)_mlp.0", in: hidden, out: mlpHidden)
                linear("\(p)_mlp.2", in: mlpHidden, out: hidden)
            }
        }
        for i in 0..<singleBlocks {
            let p = "single_blocks.\(i)"
            linear("\(p).linear1", in: hidden, out: 3 * hidden + mlpHidden)
            linear("\(p).linear2", in: hidden + mlpHidden, out: hidden)
            out.append(("\(p).norm.query_norm.scale", [headDim]))
            out.append(("\(p).norm.key_norm.scale", [headDim]))
            linear("\(p).modulation.lin", in: hidden, out: 3 * hidden)
        }
        linear("final_layer.linear", in: hidden, out: outChannels)
        linear("final_layer.adaLN_modulation.1", in: hidden, out: 2 * hidden)
        return out
    }
}
