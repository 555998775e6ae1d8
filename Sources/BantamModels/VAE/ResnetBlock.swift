import BantamCore
import BantamNN

extension FluxAutoencoder {
    /// BFL's `ResnetBlock` (no time embedding, no dropout):
    /// h = conv2(swish(norm2(conv1(swish(norm1(x)))))), out = shortcut(x) + h, where the shortcut is a
    /// 1×1 conv (`nin_shortcut`) when the channel count changes and the identity otherwise.
    public struct ResnetBlock: Sendable {
        public let norm1: GroupNorm
        public let conv1: Conv2d
        public let norm2: GroupNorm
        public let conv2: Conv2d
        public let ninShortcut: Conv2d?

        public init(_ scope: WeightScope, in inChannels: Int, out outChannels: Int, groups: Int, eps: Float) throws {
            norm1 = try GroupNorm(scope.child("norm1"), groups: groups, channels: inChannels, eps: eps)
            conv1 = try Conv2d(scope.child("conv1"), in: inChannels, out: outChannels, kernel: 3, padding: 1)
            norm2 = try GroupNorm(scope.child("norm2"), groups: groups, channels: outChannels, eps: eps)
            conv2 = try Conv2d(scope.child("conv2"), in: outChannels, out: outChannels, kernel: 3, padding: 1)
            ninShortcut = inChannels == outChannels
                ? nil : try Conv2d(scope.child("nin_shortcut"), in: inChannels, out: outChannels, kernel: 1)
        }

        /// x [B, in, H, W] -> [B, out, H, W]. Each step replaces `h`, so at most two activations of the
        /// block live besides x.
        public func callAsFunction(_ x: Tensor) throws -> Tensor {
            var h = try norm1(x)          // [B, in, H, W]
            h = try silu(h)
            h = try conv1(h)              // [B, out, H, W]
            h = try norm2(h)
            h = try silu(h)
            h = try conv2(h)              // [B, out, H, W]
            let shortcut = try ninShortcut.map { try $0(x) } ?? x   // [B, out, H, W]
            return try shortcut + h
        }
    }
}
