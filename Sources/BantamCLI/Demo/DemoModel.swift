import BantamCore
import BantamIO

/// A FLUX.1-dev-shaped transformer scaled down to run in milliseconds: the real BFL tensor names
/// (formats.md §2.2) with a small width and depth, and random weights. It is no model; it gives the
/// checkpoint reader, detection and the CPU ops something real-looking to work on.
struct DemoFluxConfig {
    var hidden = 128
    var headDim = 32
    var depth = 2
    var singleBlocks = 2
    var inChannels = 64
    var vecDim = 768
    var contextDim = 4096
    var mlpRatio = 4
    /// RoPE axes (FLUX: [16, 56, 56] for head size 128; here the same proportions for 32), sum = headDim.
    var axes = [8, 12, 12]
    var guidance = true

    var heads: Int { hidden / headDim }
    var mlpHidden: Int { hidden * mlpRatio }

    /// Every tensor as (name, shape), in the reference code's order.
    var tensors: [(name: String, shape: [Int])] {
        let h = hidden, mlp = mlpHidden
        var list: [(name: String, shape: [Int])] = []
        func linear(_ name: String, _ out: Int, _ inp: Int) {
            list.append((name + ".weight", [out, inp]))
            list.append((name + ".bias", [out]))
        }
        linear("img_in", h, inChannels)
        linear("time_in.in_layer", h, 256); linear("time_in.out_layer", h, h)
        linear("vector_in.in_layer", h, vecDim); linear("vector_in.out_layer", h, h)
        if guidance { linear("guidance_in.in_layer", h, 256); linear("guidance_in.out_layer", h, h) }
        linear("txt_in", h, contextDim)
        for i in 0..<depth {
            for s in ["img", "txt"] {
                let p = "double_blocks.\(i).\(s)"
                linear(p + "_mod.lin", 6 * h, h)
                linear(p + "_attn.qkv", 3 * h, h)
                list.append((p + "_attn.norm.query_norm.scale", [headDim]))
                list.append((p + "_attn.norm.key_norm.scale", [headDim]))
                linear(p + "_attn.proj", h, h)
                linear(p + "_mlp.0", mlp, h)
                linear(p + "_mlp.2", h, mlp)
            }
        }
        for i in 0..<singleBlocks {
            let p = "single_blocks.\(i)"
            linear(p + ".linear1", 3 * h + mlp, h)
            linear(p + ".linear2", h, h + mlp)
            list.append((p + ".norm.query_norm.scale", [headDim]))
            list.append((p + ".norm.key_norm.scale", [headDim]))
            linear(p + ".modulation.lin", 3 * h, h)
        }
        linear("final_layer.linear", inChannels, h)
        linear("final_layer.adaLN_modulation.1", 2 * h, h)
        return list
    }

    /// Writes the checkpoint as BF16 with random values: weights uniform in ±1/sqrt(in) (PyTorch's default
    /// Linear range), biases small, norm scales near 1. The same seed gives the same bytes.
    func write(to path: String, seed: UInt64) throws {
        let entries = tensors.map { t in
            SafetensorsEntry(name: t.name, dtype: .BF16, shape: t.shape) { buffer in
                var rng = DemoRandom(seed: seed ^ Self.hash(t.name))
                let count = t.shape.reduce(1, *)
                let values: [Float]
                if t.name.hasSuffix(".scale") {
                    values = rng.uniforms(count, scale: 0.1).map { 1 + $0 }
                } else if t.shape.count == 2 {
                    values = rng.uniforms(count, scale: 1 / Float(t.shape[1]).squareRoot())
                } else {
                    values = rng.uniforms(count, scale: 0.02)
                }
                values.withUnsafeBufferPointer { src in
                    ElementConversion.encode(.bf16, from: src.baseAddress!, count: count, into: buffer.baseAddress!)
                }
            }
        }
        try SafetensorsWriter.write(to: path, entries: entries, metadata: [
            "format": "pt",
            "bantam.demo": "tiny random weights with FLUX.1-dev tensor names; not a real model",
        ])
    }

    /// FNV-1a of a name, to give every tensor its own random stream.
    static func hash(_ text: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 { h = (h ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return h
    }
}
