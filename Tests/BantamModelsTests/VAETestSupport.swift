import BantamCore
import BantamCPU
import BantamIO
import BantamModels
import BantamNN
import BantamTestSupport

/// Key sets of FLUX-style autoencoders, written out here from formats.md §2.8 (independently of the
/// model's layout code, so the tests can catch a wrong mapping).
enum VAEKeys {
    struct Plan {
        var channels: Int, multipliers: [Int], resBlocks: Int, latent: Int, inChannels = 3, outChannels = 3
        static let flux = Plan(channels: 128, multipliers: [1, 2, 4, 4], resBlocks: 2, latent: 16)
    }

    /// BFL names and shapes.
    static func bfl(_ p: Plan) -> [(String, Shape)] {
        var keys: [(String, Shape)] = []
        func conv(_ name: String, _ o: Int, _ i: Int, _ k: Int) { keys += [(name + ".weight", [o, i, k, k]), (name + ".bias", [o])] }
        func norm(_ name: String, _ c: Int) { keys += [(name + ".weight", [c]), (name + ".bias", [c])] }
        func res(_ name: String, _ i: Int, _ o: Int) {
            norm(name + ".norm1", i); conv(name + ".conv1", o, i, 3); norm(name + ".norm2", o); conv(name + ".conv2", o, o, 3)
            if i != o { conv(name + ".nin_shortcut", o, i, 1) }
        }
        func mid(_ part: String, _ c: Int) {
            res("\(part).mid.block_1", c, c); res("\(part).mid.block_2", c, c)
            norm("\(part).mid.attn_1.norm", c)
            for n in ["q", "k", "v", "proj_out"] { conv("\(part).mid.attn_1.\(n)", c, c, 1) }
        }
        let levels = p.multipliers.count
        conv("encoder.conv_in", p.channels, p.inChannels, 3)
        var c = p.channels
        for l in 0..<levels {
            let o = p.channels * p.multipliers[l]
            for b in 0..<p.resBlocks { res("encoder.down.\(l).block.\(b)", c, o); c = o }
            if l != levels - 1 { conv("encoder.down.\(l).downsample.conv", c, c, 3) }
        }
        mid("encoder", c)
        norm("encoder.norm_out", c); conv("encoder.conv_out", 2 * p.latent, c, 3)
        conv("decoder.conv_in", c, p.latent, 3)
        mid("decoder", c)
        for l in (0..<levels).reversed() {
            let o = p.channels * p.multipliers[l]
            for b in 0...p.resBlocks { res("decoder.up.\(l).block.\(b)", c, o); c = o }
            if l != 0 { conv("decoder.up.\(l).upsample.conv", c, c, 3) }
        }
        norm("decoder.norm_out", c); conv("decoder.conv_out", p.outChannels, c, 3)
        return keys
    }

    /// diffusers AutoencoderKL names and shapes (attention projections as Linear [C, C]).
    static func diffusers(_ p: Plan) -> [(String, Shape)] {
        var keys: [(String, Shape)] = []
        func conv(_ name: String, _ o: Int, _ i: Int, _ k: Int) { keys += [(name + ".weight", [o, i, k, k]), (name + ".bias", [o])] }
        func lin(_ name: String, _ c: Int) { keys += [(name + ".weight", [c, c]), (name + ".bias", [c])] }
        func norm(_ name: String, _ c: Int) { keys += [(name + ".weight", [c]), (name + ".bias", [c])] }
        func res(_ name: String, _ i: Int, _ o: Int) {
            norm(name + ".norm1", i); conv(name + ".conv1", o, i, 3); norm(name + ".norm2", o); conv(name + ".conv2", o, o, 3)
            if i != o { conv(name + ".conv_shortcut", o, i, 1) }
        }
        func mid(_ part: String, _ c: Int) {
            res("\(part).mid_block.resnets.0", c, c); res("\(part).mid_block.resnets.1", c, c)
            norm("\(part).mid_block.attentions.0.group_norm", c)
            for n in ["to_q", "to_k", "to_v", "to_out.0"] { lin("\(part).mid_block.attentions.0.\(n)", c) }
        }
        let levels = p.multipliers.count
        conv("encoder.conv_in", p.channels, p.inChannels, 3)
        var c = p.channels
        for l in 0..<levels {
            let o = p.channels * p.multipliers[l]
            for b in 0..<p.resBlocks { res("encoder.down_blocks.\(l).resnets.\(b)", c, o); c = o }
            if l != levels - 1 { conv("encoder.down_blocks.\(l).downsamplers.0.conv", c, c, 3) }
        }
        mid("encoder", c)
        norm("encoder.conv_norm_out", c); conv("encoder.conv_out", 2 * p.latent, c, 3)
        conv("decoder.conv_in", c, p.latent, 3)
        mid("decoder", c)
        for i in 0..<levels {   // execution order: up_blocks.0 is the lowest resolution
            let l = levels - 1 - i
            let o = p.channels * p.multipliers[l]
            for b in 0...p.resBlocks { res("decoder.up_blocks.\(i).resnets.\(b)", c, o); c = o }
            if l != 0 { conv("decoder.up_blocks.\(i).upsamplers.0.conv", c, c, 3) }
        }
        norm("decoder.conv_norm_out", c); conv("decoder.conv_out", p.outChannels, c, 3)
        return keys
    }

    /// Zero-stride placeholders of the given shapes: a full-size key set that costs no memory.
    static func placeholders(_ keys: [(String, Shape)], prefix: String = "") throws -> InMemoryTensorSource {
        let one = try Tensor([0.5], shape: [1], on: CPUBackend.shared)
        var tensors: [String: Tensor] = [:]
        for (name, shape) in keys {
            tensors[prefix + name] = try one.reshape(Shape([Int](repeating: 1, count: shape.rank))).expand(to: shape)
        }
        return InMemoryTensorSource(tensors, description: "placeholder AE")
    }

    /// Random weights like the golden script's: conv/linear weights ~ N(0, 1/fan_in), norm weights
    /// 1 + 0.1·N, other vectors 0.1·N. Returns the source and the stored values for the float64 reference.
    static func random(_ keys: [(String, Shape)], rng: inout TestRNG)
        throws -> (source: InMemoryTensorSource, values: [String: ReferenceAutoencoder.Array4]) {
        var tensors: [String: Tensor] = [:]
        var values: [String: ReferenceAutoencoder.Array4] = [:]
        for (name, shape) in keys {
            let isNormWeight = name.hasSuffix(".weight") && shape.rank == 1
            let scale: Float = shape.rank >= 2 ? 1 / Float(shape.count / shape[0]).squareRoot() : 0.1
            var floats = rng.normals(shape.count, scale: scale)
            if isNormWeight { floats = floats.map { 1 + $0 } }
            let t = try Tensor(floats, shape: shape, on: CPUBackend.shared)
            tensors[name] = t
            values[name] = .init(floats.map(Double.init), shape.dims)
        }
        return (InMemoryTensorSource(tensors, description: "random AE"), values)
    }
}

/// The tiny fixture's reference tensors (scripts/goldens/flux_tiny_goldens.py: vae.latents, vae.decoded,
/// vae.image, vae.encoded_mean).
enum VAEFixture {
    static func tensor(_ name: String) throws -> Tensor {
        try Checkpoint(path: Fixtures.fluxTiny("reference.safetensors")).tensor(name, on: CPUBackend.shared)
    }
    static func doubles(_ name: String) throws -> [Double] { try tensor(name).floats().map(Double.init) }

    /// The tiny AE's diffusers config (norm_num_groups 4).
    static func diffusersConfig() throws -> DiffusersAutoencoderConfig {
        try DiffusersAutoencoderConfig(contentsOf: Fixtures.fluxTiny("diffusers/vae/config.json"))
    }
}
