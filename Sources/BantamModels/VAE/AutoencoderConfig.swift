import BantamCore

/// The hyperparameters of a FLUX-style KL autoencoder (BFL's `AutoEncoderParams`): the channel plan of the
/// encoder and decoder, the latent width, the GroupNorm groups and the latent scale/shift.
///
/// Everything except `groups`, `scaleFactor` and `shiftFactor` is read from tensor shapes by
/// `infer(from:layout:)`, so the tiny test model and the real FLUX.1 AE take the same path. Those three
/// cannot be seen in the weights:
/// - a diffusers folder carries them in `vae/config.json` (`norm_num_groups`, `scaling_factor`,
///   `shift_factor`): pass it as `diffusersConfig`;
/// - a BFL `ae.safetensors` (or ComfyUI's `vae.` / SD3's `first_stage_model.` part of a single file) has
///   no config; BFL's code fixes 32 groups and FLUX's 0.3611 / 0.1159, which are the defaults here. SD3's
///   AE (same structure) uses 1.5305 / 0.0609: set them on the returned value. A non-standard BFL-layout
///   file (like the tiny fixture, with 4 groups) must be given its config the same way.
public struct AutoencoderConfig: Sendable, Equatable {
    /// Image channels in (3) and out (3).
    public var inChannels: Int
    public var outChannels: Int
    /// Base channel count `ch` (FLUX: 128).
    public var channels: Int
    /// `ch_mult`: level l works at `channels · channelMultipliers[l]` channels (FLUX: [1, 2, 4, 4]).
    public var channelMultipliers: [Int]
    /// `num_res_blocks`: ResnetBlocks per encoder level; decoder levels have one more (FLUX: 2).
    public var resBlocks: Int
    /// `z_channels`: latent channels (FLUX: 16); the encoder emits twice as many (mean and log-variance).
    public var latentChannels: Int
    /// GroupNorm groups of every norm (BFL: 32).
    public var groups: Int
    /// Latents are `scaleFactor · (mean − shiftFactor)`.
    public var scaleFactor: Float
    public var shiftFactor: Float
    /// GroupNorm epsilon (BFL and diffusers: 1e-6).
    public var eps: Float

    public init(inChannels: Int = 3, outChannels: Int = 3, channels: Int, channelMultipliers: [Int], resBlocks: Int,
                latentChannels: Int, groups: Int = 32, scaleFactor: Float = 0.3611, shiftFactor: Float = 0.1159,
                eps: Float = 1e-6) {
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.channels = channels
        self.channelMultipliers = channelMultipliers
        self.resBlocks = resBlocks
        self.latentChannels = latentChannels
        self.groups = groups
        self.scaleFactor = scaleFactor
        self.shiftFactor = shiftFactor
        self.eps = eps
    }

    /// The FLUX.1 AE (dev and schnell share it): 128·[1, 2, 4, 4] channels, 2 res blocks, 16 latent channels.
    public static let flux = AutoencoderConfig(channels: 128, channelMultipliers: [1, 2, 4, 4], resBlocks: 2,
                                               latentChannels: 16)

    /// Number of resolutions (FLUX: 4).
    public var levels: Int { channelMultipliers.count }
    /// Pixels per latent along each axis: 2^(levels − 1) (FLUX: 8).
    public var downsampleFactor: Int { 1 << max(levels - 1, 0) }
    /// Channels of level l (`ch · ch_mult[l]`).
    public func channels(atLevel level: Int) -> Int { channels * channelMultipliers[level] }

    /// Throws when the numbers cannot describe a working autoencoder (e.g. groups that do not divide a
    /// channel count, which is what a BFL-layout file with non-standard groups runs into).
    public func validate() throws {
        guard inChannels > 0, outChannels > 0, channels > 0, latentChannels > 0, resBlocks > 0,
              !channelMultipliers.isEmpty, channelMultipliers.allSatisfy({ $0 > 0 }) else {
            throw AutoencoderError("autoencoder config \(self) has a zero or negative size; every channel count, level and block count must be positive")
        }
        guard groups > 0 else { throw AutoencoderError("autoencoder config: groups is \(groups); it must be positive") }
        if let bad = (0..<levels).map(channels(atLevel:)).first(where: { $0 % groups != 0 }) {
            throw AutoencoderError("autoencoder config: \(bad) channels do not divide into \(groups) GroupNorm groups; give the right groups (diffusers norm_num_groups) for this checkpoint")
        }
        guard scaleFactor.isFinite, scaleFactor != 0, shiftFactor.isFinite else {
            throw AutoencoderError("autoencoder config: scale factor \(scaleFactor) and shift factor \(shiftFactor) must be finite, the scale non-zero")
        }
    }
}

extension AutoencoderConfig: CustomStringConvertible {
    public var description: String {
        "AE(ch \(channels), mult \(channelMultipliers), res blocks \(resBlocks), z \(latentChannels), groups \(groups), in \(inChannels), out \(outChannels), scale \(scaleFactor), shift \(shiftFactor))"
    }
}
