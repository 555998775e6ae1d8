import BantamCore
import BantamNN

extension FluxAutoencoder {
    /// One resolution of the decoder (`decoder.up.{l}`): `num_res_blocks + 1` ResnetBlocks, then an
    /// Upsample on every level but level 0 (the full resolution).
    public struct UpLevel: Sendable {
        public let block: [ResnetBlock]
        public let upsample: Upsample?
    }

    /// BFL's `Decoder`: latents [B, z, h, w] -> image [B, 3, h·f, w·f].
    /// `up` is stored as BFL stores it, `up[0]` = the highest resolution, and runs from the last level to
    /// the first.
    public struct Decoder: Sendable {
        public let convIn: Conv2d
        public let midBlock1: ResnetBlock
        public let midAttn1: AttnBlock
        public let midBlock2: ResnetBlock
        public let up: [UpLevel]
        public let normOut: GroupNorm
        public let convOut: Conv2d

        public init(_ scope: WeightScope, config: AutoencoderConfig) throws {
            let (groups, eps) = (config.groups, config.eps)
            var blockIn = config.channels(atLevel: config.levels - 1)
            convIn = try Conv2d(scope.child("conv_in"), in: config.latentChannels, out: blockIn, kernel: 3, padding: 1)
            let mid = scope.child("mid")
            midBlock1 = try ResnetBlock(mid.child("block_1"), in: blockIn, out: blockIn, groups: groups, eps: eps)
            midAttn1 = try AttnBlock(mid.child("attn_1"), channels: blockIn, groups: groups, eps: eps)
            midBlock2 = try ResnetBlock(mid.child("block_2"), in: blockIn, out: blockIn, groups: groups, eps: eps)
            // Built in execution order (lowest resolution first), stored with up[0] = highest resolution.
            var up: [UpLevel] = []
            for level in (0..<config.levels).reversed() {
                let scopeL = scope.child("up").child(level)
                let blockOut = config.channels(atLevel: level)
                var blocks: [ResnetBlock] = []
                for b in 0..<(config.resBlocks + 1) {
                    blocks.append(try ResnetBlock(scopeL.child("block").child(b), in: blockIn, out: blockOut, groups: groups, eps: eps))
                    blockIn = blockOut
                }
                let upsample = level == 0 ? nil : try Upsample(scopeL.child("upsample"), channels: blockIn)
                up.insert(UpLevel(block: blocks, upsample: upsample), at: 0)
            }
            self.up = up
            normOut = try GroupNorm(scope.child("norm_out"), groups: groups, channels: blockIn, eps: eps)
            convOut = try Conv2d(scope.child("conv_out"), in: blockIn, out: config.outChannels, kernel: 3, padding: 1)
        }

        /// z [B, z, h, w] -> [B, out, h·f, w·f]. `h` is replaced at every step so each activation is freed as
        /// soon as the next exists; the full-resolution levels dominate (at 1024², [1, 128, 1024, 1024] f32 is
        /// 512 MiB per tensor). Tiled decoding, when it comes, wraps this call: decode overlapping latent
        /// tiles and blend them.
        public func callAsFunction(_ z: Tensor) throws -> Tensor {
            // 1. Stem.
            var h = try convIn(z)                                  // [B, ch·mult[-1], h, w]
            // 2. Middle.
            h = try midBlock1(h)
            h = try midAttn1(h)
            h = try midBlock2(h)
            // 3. Up levels, lowest resolution (the last) first.
            for level in up.reversed() {
                for block in level.block { h = try block(h) }     // [B, ch·mult[l], H_l, W_l]
                if let upsample = level.upsample { h = try upsample(h) }
            }
            // 4. Head.
            h = try normOut(h)
            h = try silu(h)
            return try convOut(h)                                  // [B, out, h·f, w·f]
        }
    }
}
