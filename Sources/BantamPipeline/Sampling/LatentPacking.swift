import BantamCore

/// FLUX's 2×2 patch packing of latents (formats.md §2.6) and the position ids of the packed tokens.
///
/// A latent [B, C, H, W] becomes [B, (H/2)·(W/2), C·4]: tokens row-major over the (H/2)×(W/2) grid, the
/// features of a token channel-major, then patch row, then patch column (`c·4 + ph·2 + pw`), exactly
/// diffusers' `_pack_latents` / BFL's `rearrange("b c (h ph) (w pw) -> b (h w) (c ph pw)")`.
public enum LatentPacking {
    /// [B, C, H, W] -> [B, (H/2)(W/2), 4C]. H and W must be even.
    public static func pack(_ latents: Tensor) throws -> Tensor {
        guard latents.rank == 4, latents.shape[2] % 2 == 0, latents.shape[3] % 2 == 0 else {
            throw TensorError.shapeMismatch(op: "pack latents", detail: "expected [B, C, H, W] with even H and W, got \(latents.shape)")
        }
        let (b, c, h, w) = (latents.shape[0], latents.shape[1], latents.shape[2], latents.shape[3])
        return try latents
            .reshape(b, c, h / 2, 2, w / 2, 2)     // [B, C, h, 2, w, 2]
            .permute(0, 2, 4, 1, 3, 5)              // [B, h, w, C, 2, 2]
            .reshape(b, (h / 2) * (w / 2), c * 4)   // [B, L, 4C]
    }

    /// [B, (H/2)(W/2), 4C] -> [B, C, H, W] for a latent of `height` × `width` (in latent pixels).
    public static func unpack(_ packed: Tensor, height: Int, width: Int) throws -> Tensor {
        guard packed.rank == 3, height % 2 == 0, width % 2 == 0, packed.shape[1] == (height / 2) * (width / 2),
              packed.shape[2] % 4 == 0 else {
            throw TensorError.shapeMismatch(op: "unpack latents", detail: "\(packed.shape) is not a packed \(height)×\(width) latent")
        }
        let (b, c) = (packed.shape[0], packed.shape[2] / 4)
        return try packed
            .reshape(b, height / 2, width / 2, c, 2, 2)   // [B, h, w, C, 2, 2]
            .permute(0, 3, 1, 4, 2, 5)                     // [B, C, h, 2, w, 2]
            .reshape(b, c, height, width)                  // [B, C, H, W]
    }

    /// Position ids of the packed image tokens, [(H/2)(W/2), 3] f32: (0, row, column) of each 2×2 patch
    /// (diffusers' `_prepare_latent_image_ids`), for a latent of `height` × `width`.
    public static func imageIDs(height: Int, width: Int, on backend: any Backend) throws -> Tensor {
        let rows = height / 2, columns = width / 2
        var ids = [Float](repeating: 0, count: rows * columns * 3)
        for r in 0..<rows {
            for c in 0..<columns {
                ids[(r * columns + c) * 3 + 1] = Float(r)
                ids[(r * columns + c) * 3 + 2] = Float(c)
            }
        }
        return try Tensor(ids, shape: [rows * columns, 3], on: backend)
    }

    /// Position ids of the text tokens: zeros [length, 3] f32.
    public static func textIDs(length: Int, on backend: any Backend) throws -> Tensor {
        try Tensor.zeros([length, 3], on: backend)
    }
}
