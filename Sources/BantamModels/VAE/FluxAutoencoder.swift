import BantamCore
import BantamNN

/// The FLUX.1 autoencoder (BFL's `AutoEncoder`; SD3's has the same structure): images in [−1, 1] to
/// scaled latents and back. Generic over the number of levels, res blocks, channels and groups.
///
/// Parameters are loaded by their BFL names through `loader` (pick the loader's layout with
/// `AutoencoderLayout.weightLayout(for:)`); call `loader.finish()` afterwards, or use `load(...)`, which
/// does. Computation runs in the dtype the weights were loaded in (`LoadPrecision.compute`); inputs are
/// cast to it and outputs come back in it.
public final class FluxAutoencoder: Sendable {
    public let config: AutoencoderConfig
    public let encoder: Encoder
    public let decoder: Decoder

    public init(config: AutoencoderConfig, loader: WeightLoader) throws {
        try config.validate()
        self.config = config
        encoder = try Encoder(loader.root.child("encoder"), config: config)
        decoder = try Decoder(loader.root.child("decoder"), config: config)
    }

    /// Builds the model from `source` in `layout` and checks that the checkpoint matched exactly
    /// (throws a `WeightMapError` naming every missing, mis-shaped or unexpected tensor).
    public static func load(from source: any TensorSource, layout: AutoencoderLayout, config: AutoencoderConfig,
                            backend: any Backend, precision: LoadPrecision = .asStored) throws -> FluxAutoencoder {
        let loader = WeightLoader(source: source, layout: layout.weightLayout(for: config), backend: backend,
                                  precision: precision)
        let model = try FluxAutoencoder(config: config, loader: loader)
        try loader.finish()
        return model
    }

    /// The dtype the model computes in (that of its weights).
    public var dtype: DType { encoder.convIn.weight.dtype }

    // MARK: Scaled latents (what the transformer sees)

    /// image [B, 3, H, W] in [−1, 1] -> latents [B, z, H/f, W/f] = scale · (mean − shift).
    public func encode(_ image: Tensor) throws -> Tensor {
        let mean = try encodeMean(image)                                     // [B, z, H/f, W/f]
        return try (mean - config.shiftFactor) * config.scaleFactor
    }

    /// latents [B, z, h, w] -> image [B, 3, h·f, w·f], roughly in [−1, 1] and not clamped (the caller clamps
    /// when it converts to pixels, as BFL's `save_image` does).
    public func decode(_ latents: Tensor) throws -> Tensor {
        try checkInput(latents, channels: config.latentChannels, what: "latent")
        let z = try latents.cast(to: dtype) / config.scaleFactor + config.shiftFactor
        return try decoder(z)
    }

    // MARK: Raw autoencoder (diffusers' AutoencoderKL.encode(...).latent_dist.mean / .decode)

    /// image [B, 3, H, W] -> the posterior mean [B, z, H/f, W/f], without scale or shift. FLUX uses the
    /// mean only (no sampling), so the log-variance half is dropped.
    public func encodeMean(_ image: Tensor) throws -> Tensor {
        try checkInput(image, channels: config.inChannels, what: "image")
        let moments = try encoder(image.cast(to: dtype))                    // [B, 2·z, H/f, W/f]
        return try moments.slice(axis: 1, 0..<config.latentChannels).contiguous()
    }

    /// z [B, z, h, w] (unscaled) -> image [B, 3, h·f, w·f].
    public func decodeRaw(_ z: Tensor) throws -> Tensor {
        try checkInput(z, channels: config.latentChannels, what: "latent")
        return try decoder(z.cast(to: dtype))
    }

    private func checkInput(_ x: Tensor, channels: Int, what: String) throws {
        guard x.rank == 4, x.shape[1] == channels, x.shape[2] > 0, x.shape[3] > 0 else {
            throw AutoencoderError("autoencoder: the \(what) tensor has shape \(x.shape); expected [B, \(channels), H, W]")
        }
        guard x.dtype.isFloatingPoint, !x.dtype.isFloat8 else {
            throw AutoencoderError("autoencoder: the \(what) tensor is \(x.dtype); give f32, f16 or bf16")
        }
    }
}
