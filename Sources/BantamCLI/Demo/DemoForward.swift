import BantamCore
import BantamCPU
import BantamIO
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The FLUX.1 input embedders and one double-stream block (formats.md §2.4), written with the op layer
/// and run on the CPU in f32 from the checkpoint's BF16 weights. Every op is timed by `OpTimer`.
///
/// This is a demonstration of the ops that exist, in the order FLUX uses them; it is not the model
/// implementation (that comes later, with goldens against the reference).
struct DemoForward {
    let checkpoint: Checkpoint
    let config: DemoFluxConfig
    let backend: CPUBackend
    let timer: OpTimer
    /// Image tokens form a side × side grid (a latent of 2·side × 2·side, packed 2×2).
    let side: Int
    let textTokens: Int

    var imageTokens: Int { side * side }

    /// The outputs of the block: image and text streams.
    struct Result {
        let img: Tensor   // [1, L_img, hidden]
        let txt: Tensor   // [1, L_txt, hidden]
    }

    func run(seed: UInt64) throws -> Result {
        var rng = DemoRandom(seed: seed)
        let c = config
        // Inputs: packed latents [1, L_img, 64], T5-like features [1, L_txt, 4096], CLIP-like pooled [1, 768].
        let latents = try Tensor(rng.uniforms(imageTokens * c.inChannels), shape: [1, imageTokens, c.inChannels], on: backend)
        let t5 = try Tensor(rng.uniforms(textTokens * c.contextDim, scale: 0.2), shape: [1, textTokens, c.contextDim], on: backend)
        let pooled = try Tensor(rng.uniforms(c.vecDim), shape: [1, c.vecDim], on: backend)

        // 1. Embedders: img_in, txt_in; vec = time_in(t) + guidance_in(g) + vector_in(y).
        var img = try linearLayer(latents, "img_in")
        var txt = try linearLayer(t5, "txt_in")
        var vec = try mlpEmbedder(try timestepEmbedding(0.5), "time_in")
        if c.guidance { vec = try timer.run("add/mul") { try vec + mlpEmbedder(try timestepEmbedding(3.5), "guidance_in") } }
        let vectorIn = try mlpEmbedder(pooled, "vector_in")
        vec = try timer.run("add/mul") { try vec + vectorIn }

        // 2. double_blocks.0: both streams attend over [txt, img] jointly.
        (img, txt) = try doubleBlock(0, img: img, txt: txt, vec: vec)
        return Result(img: img, txt: txt)
    }

    // MARK: The block

    func doubleBlock(_ index: Int, img: Tensor, txt: Tensor, vec: Tensor) throws -> (Tensor, Tensor) {
        let p = "double_blocks.\(index)."
        let c = config
        let imgMod = try modulation(vec, p + "img_mod.lin")
        let txtMod = try modulation(vec, p + "txt_mod.lin")

        // Attention inputs per stream: LN, modulate, qkv, QK RMSNorm.  q, k, v: [1, heads, L, headDim]
        let (qi, ki, vi) = try attentionInputs(img, imgMod, p + "img_attn")
        let (qt, kt, vt) = try attentionInputs(txt, txtMod, p + "txt_attn")
        let (cos, sin) = try rotaryTables()
        let q = try timer.run("rope") { try rope(try concat([qt, qi], axis: 2), cos: cos, sin: sin) }
        let k = try timer.run("rope") { try rope(try concat([kt, ki], axis: 2), cos: cos, sin: sin) }
        let v = try timer.run("concat") { try concat([vt, vi], axis: 2) }
        let length = textTokens + imageTokens
        let attended = try timer.run("attention", flops: 4 * Double(c.heads * length * length * c.headDim)) {
            try attention(q, k, v)
        }
        // [1, heads, L, headDim] -> [1, L, hidden], then split back into text and image.
        let merged = try attended.permute(0, 2, 1, 3).reshape([1, length, c.hidden])
        let txtAttn = try merged.slice(axis: 1, 0..<textTokens)
        let imgAttn = try merged.slice(axis: 1, textTokens..<length)

        let imgOut = try streamTail(img, imgAttn, imgMod, p + "img")
        let txtOut = try streamTail(txt, txtAttn, txtMod, p + "txt")
        return (imgOut, txtOut)
    }

    /// The six modulation vectors (shift, scale, gate) × 2 of one stream, each [1, 1, hidden].
    func modulation(_ vec: Tensor, _ name: String) throws -> [Tensor] {
        let activated = try timer.run("silu") { try silu(vec) }
        let out = try linearLayer(activated, name)   // [1, 6·hidden]
        return try out.chunk(6, axis: 1).map { try $0.unsqueeze(1) }
    }

    func attentionInputs(_ x: Tensor, _ mod: [Tensor], _ name: String) throws -> (Tensor, Tensor, Tensor) {
        let c = config
        let normed = try timer.run("layerNorm") { try layerNorm(x, eps: 1e-6) }
        let modulated = try modulate(normed, shift: mod[0], scale: mod[1])
        let qkv = try linearLayer(modulated, name + ".qkv")   // [1, L, 3·hidden], rows Q | K | V
        let length = x.shape[1]
        let heads = try qkv.chunk(3, axis: 2).map {
            try $0.reshape([1, length, c.heads, c.headDim]).permute(0, 2, 1, 3)
        }
        let q = try timer.run("rmsNorm") { try rmsNorm(heads[0], weight: try weight(name + ".norm.query_norm.scale"), eps: 1e-6) }
        let k = try timer.run("rmsNorm") { try rmsNorm(heads[1], weight: try weight(name + ".norm.key_norm.scale"), eps: 1e-6) }
        return (q, k, heads[2])
    }

    /// x + gate1·proj(attn); then x + gate2·MLP(modulate(LN(x))) with MLP = Linear, GELU(tanh), Linear.
    func streamTail(_ x: Tensor, _ attn: Tensor, _ mod: [Tensor], _ name: String) throws -> Tensor {
        let projected = try linearLayer(attn, name + "_attn.proj")
        var out = try timer.run("add/mul") { try x + mod[2] * projected }
        let normed = try timer.run("layerNorm") { try layerNorm(out, eps: 1e-6) }
        let hidden = try linearLayer(try modulate(normed, shift: mod[3], scale: mod[4]), name + "_mlp.0")
        let activated = try timer.run("gelu") { try gelu(hidden) }
        let mlp = try linearLayer(activated, name + "_mlp.2")
        out = try timer.run("add/mul") { try out + mod[5] * mlp }
        return out
    }

    // MARK: Pieces

    /// (1 + scale)·x + shift, broadcast over tokens.
    func modulate(_ x: Tensor, shift: Tensor, scale: Tensor) throws -> Tensor {
        try timer.run("modulation") { try x * (scale + 1) + shift }
    }

    /// Linear → SiLU → Linear (FLUX's MLPEmbedder: in_layer, out_layer).
    func mlpEmbedder(_ x: Tensor, _ name: String) throws -> Tensor {
        let hidden = try linearLayer(x, name + ".in_layer")
        let activated = try timer.run("silu") { try silu(hidden) }
        return try linearLayer(activated, name + ".out_layer")
    }

    func linearLayer(_ x: Tensor, _ name: String) throws -> Tensor {
        let w = try weight(name + ".weight"), b = try weight(name + ".bias")
        let rows = x.count / x.shape[x.rank - 1]
        return try timer.run("linear", flops: 2 * Double(rows * w.shape[0] * w.shape[1])) {
            try linear(x, weight: w, bias: b)
        }
    }

    /// A weight from the checkpoint, as f32 (loading and the cast are charged to "load").
    func weight(_ name: String) throws -> Tensor {
        try timer.run("load") { try checkpoint.tensor(name, on: backend).cast(to: .f32) }
    }

    /// FLUX's sinusoidal embedding of 1000·t (§2.4 step 3): [cos(args), sin(args)], 256 wide.  -> [1, 256]
    func timestepEmbedding(_ t: Double) throws -> Tensor {
        let half = 128
        var values = [Float](repeating: 0, count: 2 * half)
        for i in 0..<half {
            let arg = 1000 * t * exp(-log(10000.0) * Double(i) / Double(half))
            values[i] = Float(cos(arg))
            values[half + i] = Float(sin(arg))
        }
        return try Tensor(values, shape: [1, 2 * half], on: backend)
    }

    /// RoPE angles for the joint sequence (§2.5): text ids all zero, image token (r, c) has ids (0, r, c);
    /// pair j of a head belongs to the axis whose range holds it, with omega = theta^(−2j/d_axis).
    /// -> cos, sin: [L, headDim/2]
    func rotaryTables() throws -> (Tensor, Tensor) {
        let pairs = config.headDim / 2
        let length = textTokens + imageTokens
        var cosines = [Float](repeating: 1, count: length * pairs)
        var sines = [Float](repeating: 0, count: length * pairs)
        for token in textTokens..<length {
            let position = token - textTokens
            let ids = [0, position / side, position % side]
            var j = 0
            for (axis, dim) in config.axes.enumerated() {
                for local in 0..<(dim / 2) {
                    let angle = Double(ids[axis]) * pow(10000, -2 * Double(local) / Double(dim))
                    cosines[token * pairs + j] = Float(cos(angle))
                    sines[token * pairs + j] = Float(sin(angle))
                    j += 1
                }
            }
        }
        return (try Tensor(cosines, shape: [length, pairs], on: backend),
                try Tensor(sines, shape: [length, pairs], on: backend))
    }
}
