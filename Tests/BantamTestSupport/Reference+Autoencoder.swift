import BantamCore

/// A float64 FLUX autoencoder (BFL's `AutoEncoder` forward pass written with the float64 references of
/// conv, GroupNorm and attention), over weights named as in BFL's `ae.safetensors`. For tests of the
/// model code at shapes and configurations the golden fixture does not cover.
public struct ReferenceAutoencoder {
    /// A float64 tensor and its shape.
    public struct Array4 {
        public var values: [Double]
        public var shape: [Int]
        public init(_ values: [Double], _ shape: [Int]) { self.values = values; self.shape = shape }
    }

    public let weights: [String: Array4]
    public let channels: Int
    public let multipliers: [Int]
    public let resBlocks: Int
    public let latentChannels: Int
    public let groups: Int
    public let eps: Double = 1e-6

    public init(weights: [String: Array4], channels: Int, multipliers: [Int], resBlocks: Int, latentChannels: Int, groups: Int) {
        self.weights = weights
        self.channels = channels
        self.multipliers = multipliers
        self.resBlocks = resBlocks
        self.latentChannels = latentChannels
        self.groups = groups
    }

    private func w(_ name: String) -> Array4 {
        guard let t = weights[name] else { fatalError("reference AE: no weight \(name)") }
        return t
    }

    func conv(_ x: Array4, _ name: String, stride: Int = 1, padding: Int) -> Array4 {
        let weight = w(name + ".weight")
        let r = referenceConv2d(x: x.values, xShape: x.shape, weight: weight.values, weightShape: weight.shape,
                                bias: w(name + ".bias").values, params: Conv2dParams(stride: stride, padding: padding))
        return Array4(r.values, r.shape)
    }

    func norm(_ x: Array4, _ name: String) -> Array4 {
        let (n, c) = (x.shape[0], x.shape[1])
        let values = Reference.groupNorm(x.values, n: n, c: c, s: x.shape[2] * x.shape[3], groups: groups,
                                         weight: w(name + ".weight").values, bias: w(name + ".bias").values, eps: eps)
        return Array4(values, x.shape)
    }

    func swish(_ x: Array4) -> Array4 { Array4(x.values.map { $0 * Reference.sigmoid($0) }, x.shape) }

    func add(_ a: Array4, _ b: Array4) -> Array4 { Array4(zip(a.values, b.values).map { $0 + $1 }, a.shape) }

    func resnet(_ x: Array4, _ name: String) -> Array4 {
        var h = swish(norm(x, name + ".norm1"))
        h = conv(h, name + ".conv1", padding: 1)
        h = swish(norm(h, name + ".norm2"))
        h = conv(h, name + ".conv2", padding: 1)
        let shortcut = weights[name + ".nin_shortcut.weight"] != nil ? conv(x, name + ".nin_shortcut", padding: 0) : x
        return add(shortcut, h)
    }

    func attn(_ x: Array4, _ name: String) -> Array4 {
        let (b, c, p) = (x.shape[0], x.shape[1], x.shape[2] * x.shape[3])
        let h = norm(x, name + ".norm")
        // [B, C, P] -> [B, P, C] and back
        func tokens(_ t: Array4) -> [Double] {
            var out = [Double](repeating: 0, count: t.values.count)
            for n in 0..<b { for ch in 0..<c { for i in 0..<p { out[(n * p + i) * c + ch] = t.values[(n * c + ch) * p + i] } } }
            return out
        }
        let q = tokens(conv(h, name + ".q", padding: 0)), k = tokens(conv(h, name + ".k", padding: 0))
        let v = tokens(conv(h, name + ".v", padding: 0))
        let o = referenceAttention(q: q, k: k, v: v, batch: b, heads: 1, lq: p, lk: p, d: c, dv: c,
                                   scale: 1 / Double(c).squareRoot())
        var map = [Double](repeating: 0, count: o.count)
        for n in 0..<b { for ch in 0..<c { for i in 0..<p { map[(n * c + ch) * p + i] = o[(n * p + i) * c + ch] } } }
        return add(x, conv(Array4(map, x.shape), name + ".proj_out", padding: 0))
    }

    func downsample(_ x: Array4, _ name: String) -> Array4 {
        let (nc, h, wd) = (x.shape[0] * x.shape[1], x.shape[2], x.shape[3])
        var padded = [Double](repeating: 0, count: nc * (h + 1) * (wd + 1))
        for plane in 0..<nc { for y in 0..<h { for xx in 0..<wd {
            padded[(plane * (h + 1) + y) * (wd + 1) + xx] = x.values[(plane * h + y) * wd + xx]
        } } }
        return conv(Array4(padded, [x.shape[0], x.shape[1], h + 1, wd + 1]), name + ".conv", stride: 2, padding: 0)
    }

    func upsample(_ x: Array4, _ name: String) -> Array4 {
        let up = referenceUpsampleNearest(x.values, shape: x.shape, factor: 2)
        return conv(Array4(up, [x.shape[0], x.shape[1], x.shape[2] * 2, x.shape[3] * 2]), name + ".conv", padding: 1)
    }

    /// image [B, in, H, W] -> moments [B, 2·z, h, w]
    public func encoder(_ x: Array4) -> Array4 {
        var h = conv(x, "encoder.conv_in", padding: 1)
        for level in 0..<multipliers.count {
            for b in 0..<resBlocks { h = resnet(h, "encoder.down.\(level).block.\(b)") }
            if level != multipliers.count - 1 { h = downsample(h, "encoder.down.\(level).downsample") }
        }
        h = resnet(h, "encoder.mid.block_1")
        h = attn(h, "encoder.mid.attn_1")
        h = resnet(h, "encoder.mid.block_2")
        return conv(swish(norm(h, "encoder.norm_out")), "encoder.conv_out", padding: 1)
    }

    /// z [B, z, h, w] -> image [B, out, H, W]
    public func decoder(_ z: Array4) -> Array4 {
        var h = conv(z, "decoder.conv_in", padding: 1)
        h = resnet(h, "decoder.mid.block_1")
        h = attn(h, "decoder.mid.attn_1")
        h = resnet(h, "decoder.mid.block_2")
        for level in (0..<multipliers.count).reversed() {
            for b in 0...resBlocks { h = resnet(h, "decoder.up.\(level).block.\(b)") }
            if level != 0 { h = upsample(h, "decoder.up.\(level).upsample") }
        }
        return conv(swish(norm(h, "decoder.norm_out")), "decoder.conv_out", padding: 1)
    }

    /// The mean half of the encoder's moments.
    public func encodeMean(_ x: Array4) -> Array4 {
        let m = encoder(x)
        let (b, plane) = (m.shape[0], m.shape[2] * m.shape[3])
        var out: [Double] = []
        for n in 0..<b { out += m.values[(n * 2 * latentChannels * plane)..<((n * 2 + 1) * latentChannels * plane)] }
        return Array4(out, [b, latentChannels, m.shape[2], m.shape[3]])
    }
}
