import BantamCore
import BantamNN

extension FluxAutoencoder {
    /// BFL's `Downsample`: pad one row at the bottom and one column at the right (0, 1, 0, 1), then a 3×3
    /// convolution with stride 2 and no padding: [B, C, H, W] -> [B, C, ⌊H/2⌋, ⌊W/2⌋] (H, W ≥ 2).
    public struct Downsample: Sendable {
        public let conv: Conv2d

        public init(_ scope: WeightScope, channels: Int) throws {
            conv = try Conv2d(scope.child("conv"), in: channels, out: channels, kernel: 3, stride: 2, padding: 0)
        }

        public func callAsFunction(_ x: Tensor) throws -> Tensor {
            let padded = try pad2d(x, top: 0, bottom: 1, left: 0, right: 1)   // [B, C, H+1, W+1]
            return try conv(padded)
        }
    }
}
