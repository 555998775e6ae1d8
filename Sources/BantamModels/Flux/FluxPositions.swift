import BantamCore

/// FLUX position ids (BFL src/flux/sampling.py `prepare`; formats.md §2.5): three axes per token
/// (index, row, column), as f32.
public enum FluxPositions {
    /// Image ids [height·width, 3] for a packed token grid of `height` × `width` (image pixels / 16, i.e. the
    /// latent size / 2): token (r, c) → (0, r, c), row-major (r outer, c inner) as the packing orders them.
    public static func imageIds(height: Int, width: Int, on backend: any Backend) throws -> Tensor {
        guard height > 0, width > 0 else {
            throw TensorError.invalidArgument("FluxPositions.imageIds: the token grid \(height)×\(width) must not be empty")
        }
        var values = [Float](repeating: 0, count: height * width * 3)
        for r in 0..<height {
            for c in 0..<width {
                let token = r * width + c
                values[token * 3 + 1] = Float(r)
                values[token * 3 + 2] = Float(c)
            }
        }
        return try Tensor(values, shape: [height * width, 3], on: backend)
    }

    /// Text ids [length, 3]: all zeros (no rotation for text tokens).
    public static func textIds(length: Int, on backend: any Backend) throws -> Tensor {
        guard length >= 0 else {
            throw TensorError.invalidArgument("FluxPositions.textIds: length \(length) must not be negative")
        }
        return try Tensor.zeros([length, 3], on: backend)
    }
}
