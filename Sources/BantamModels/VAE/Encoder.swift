import BantamCore
import BantamNN

extension FluxAutoencoder {
    /// One resolution of the encoder (`encoder.down.{l}`): `num_res_blocks` ResnetBlocks, then a
    /// Downsample on every level but the last.
    public struct DownLevel: Sendable {
        public let block: [ResnetBlock]
        public let downsample: Downsample?
    }

    /// BFL's `Encoder`: image [B, 3, H, W] -> moments [B, 2·z, H/f, W/f] (mean and log-variance stacked on
    /// the channel axis), f = 2^(levels − 1).
    public struct Encoder: Sendable {
        public let convIn: Conv2d
        public let down: [DownLevel]
        public let midBlock1: ResnetBlock
        public let midAttn1: AttnBlock
        public let midBlock2: ResnetBlock
        public let normOut: GroupNorm
        public let convOut: Conv2d

        public init(_ scope: WeightScope, config: AutoencoderConfig) throws {
            let (groups, eps) = (config.groups, config.eps)
            convIn = try Conv2d(scope.child("conv_in"), in: config.inChannels, out: config.channels, kernel: 3, padding: 1)
            // Level l goes from the previous level's width (ch for level 0) to ch·ch_mult[l].
            var blockIn = config.channels
            var down: [DownLevel] = []
            for level in 0..<config.levels {
                let scopeL = scope.child("down").child(level)
                let blockOut = config.channels(atLevel: level)
                var blocks: [ResnetBlock] = []
                for b in 0..<config.resBlocks {
                    blocks.append(try ResnetBlock(scopeL.child("block").child(b), in: blockIn, out: blockOut, groups: groups, eps: eps))
                    blockIn = blockOut
                }
                let downsample = level == config.levels - 1 ? nil : try Downsample(scopeL.child("downsample"), channels: blockIn)
                down.append(DownLevel(block: blocks, downsample: downsample))
            }
            self.down = down
            let mid = scope.child("mid")
            midBlock1 = try ResnetBlock(mid.child("block_1"), in: blockIn, out: blockIn, groups: groups, eps: eps)
            midAttn1 = try AttnBlock(mid.child("attn_1"), channels: blockIn, groups: groups, eps: eps)
            midBlock2 = try ResnetBlock(mid.child("block_2"), in: blockIn, out: blockIn, groups: groups, eps: eps)
            normOut = try GroupNorm(scope.child("norm_out"), groups: groups, channels: blockIn, eps: eps)
            convOut = try Conv2d(scope.child("conv_out"), in: blockIn, out: 2 * config.latentChannels, kernel: 3, padding: 1)
        }

        /// x [B, in, H, W] -> [B, 2·z, H/f, W/f]
        public func callAsFunction(_ x: Tensor) throws -> Tensor {
            // 1. Stem.
            var h = try convIn(x)                                  // [B, ch, H, W]
            // 2. Down levels, highest resolution first.
            for level in down {
                for block in level.block { h = try block(h) }     // [B, ch·mult[l], H_l, W_l]
                if let downsample = level.downsample { h = try downsample(h) }
            }
            // 3. Middle: res, attention, res at the lowest resolution.
            h = try midBlock1(h)
            h = try midAttn1(h)
            h = try midBlock2(h)
            // 4. Head.
            h = try normOut(h)
            h = try silu(h)
            return try convOut(h)                                  // [B, 2·z, H/f, W/f]
        }
    }
}
