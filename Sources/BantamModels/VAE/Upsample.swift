import BantamCore
import BantamNN

extension FluxAutoencoder {
    /// BFL's `Upsample`: nearest-neighbour ×2, then a 3×3 convolution (padding 1):
    /// [B, C, H, W] -> [B, C, 2H, 2W].
    public struct Upsample: Sendable {
        public let conv: Conv2d

        public init(_ scope: WeightScope, channels: Int) throws {
            conv = try Conv2d(scope.child("conv"), in: channels, out: channels, kernel: 3, padding: 1)
        }

        public func callAsFunction(_ x: Tensor) throws -> Tensor {
            // The largest activation of the decoder: at 1024² the last Upsample makes [1, 256, 1024, 1024]
            // (1 GiB in f32) before its conv. Tiled decoding (another issue) bounds it.
            let upsampled = try upsampleNearest2d(x, factor: 2)   // [B, C, 2H, 2W]
            return try conv(upsampled)
        }
    }
}
