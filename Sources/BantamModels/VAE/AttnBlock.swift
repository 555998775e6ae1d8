import BantamCore
import BantamNN

extension FluxAutoencoder {
    /// BFL's `AttnBlock`: single-head self-attention over the H·W positions of a feature map.
    /// h = norm(x); q, k, v = 1×1 convs of h; attention with scale 1/√C; out = x + proj_out(attention).
    public struct AttnBlock: Sendable {
        public let norm: GroupNorm
        public let q: Conv2d
        public let k: Conv2d
        public let v: Conv2d
        public let projOut: Conv2d

        public init(_ scope: WeightScope, channels: Int, groups: Int, eps: Float) throws {
            norm = try GroupNorm(scope.child("norm"), groups: groups, channels: channels, eps: eps)
            q = try Conv2d(scope.child("q"), in: channels, out: channels, kernel: 1)
            k = try Conv2d(scope.child("k"), in: channels, out: channels, kernel: 1)
            v = try Conv2d(scope.child("v"), in: channels, out: channels, kernel: 1)
            projOut = try Conv2d(scope.child("proj_out"), in: channels, out: channels, kernel: 1)
        }

        /// x [B, C, H, W] -> [B, C, H, W]
        public func callAsFunction(_ x: Tensor) throws -> Tensor {
            let (b, c, height, width) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
            // [B, C, H, W] -> [B, 1, H·W, C]: one head whose tokens are the pixels ("b c h w -> b 1 (h w) c").
            func tokens(_ t: Tensor) throws -> Tensor { try t.reshape([b, 1, c, height * width]).transposed(2, 3) }
            // 1. Normalize and project.
            let normed = try norm(x)
            let (query, key, value) = (try tokens(q(normed)), try tokens(k(normed)), try tokens(v(normed)))
            // 2. Attention over all positions.
            var h = try attention(query, key, value, scale: 1 / Float(c).squareRoot())   // [B, 1, H·W, C]
            // 3. Back to a feature map ("b 1 (h w) c -> b c h w"), project, add the input.
            h = try h.transposed(2, 3).reshape([b, c, height, width])                        // [B, C, H, W]
            h = try projOut(h)
            return try x + h
        }
    }
}
