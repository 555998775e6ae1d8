import BantamCore

/// From the autoencoder's output to pixels, as diffusers' `VaeImageProcessor.postprocess` does it.
enum ImageConversion {
    /// image [1, 3, H, W] (any float dtype) -> HWC floats `(x/2 + 0.5).clamp(0, 1)` in f32 (NaN becomes 0).
    static func pixels(_ image: Tensor) throws -> [Float] {
        guard image.rank == 4, image.shape[0] == 1, image.shape[1] == 3 else {
            throw TensorError.shapeMismatch(op: "image conversion", detail: "decoded image is \(image.shape); expected [1, 3, H, W]")
        }
        let (h, w) = (image.shape[2], image.shape[3])
        let chw = try image.floats()
        var out = [Float](repeating: 0, count: h * w * 3)
        for c in 0..<3 {
            for i in 0..<(h * w) {
                let v = chw[c * h * w + i] / 2 + 0.5
                out[i * 3 + c] = v.isNaN ? 0 : min(max(v, 0), 1)
            }
        }
        return out
    }

    /// numpy's `(images * 255).round().astype("uint8")` on values in [0, 1].
    static func rgb8(_ pixels: [Float]) -> [UInt8] {
        pixels.map { UInt8(($0 * 255).rounded(.toNearestOrEven)) }
    }
}
