import BantamCore

extension AutoencoderConfig {
    /// Reads the structure from tensor shapes (BFL or diffusers names, already without any single-file
    /// prefix): `ch` and the image channels from `encoder.conv_in`, the levels and `ch_mult` from the
    /// encoder's down blocks, `num_res_blocks` from level 0, `z_channels` and the output channels from the
    /// decoder's `conv_in` / `conv_out`.
    ///
    /// `groups`, `scaleFactor` and `shiftFactor` come from `diffusersConfig` when given (whose structural
    /// fields must then agree with the shapes), else they are BFL's / FLUX's: 32, 0.3611, 0.1159 — right for
    /// the real FLUX.1 `ae.safetensors`; other BFL-layout files set them on the result.
    /// The result is not validated here (`FluxAutoencoder.init` does it), so a caller can still correct it.
    /// Strictness is the loader's job (every tensor is checked when the model is built); this only needs
    /// the few tensors it reads.
    public static func infer(from source: any TensorSource, layout: AutoencoderLayout,
                             diffusersConfig: DiffusersAutoencoderConfig? = nil) throws -> AutoencoderConfig {
        let names = AutoencoderKeyNames(layout: layout)
        func shape(_ key: String, rank: Int) throws -> Shape {
            guard let s = source.shape(of: key) else {
                throw AutoencoderError("\(source.sourceDescription) has no \(key): not a FLUX autoencoder in the \(layout) layout\(hint(source, layout))")
            }
            guard s.rank == rank else {
                throw AutoencoderError("\(source.sourceDescription): \(key) is \(s); expected rank \(rank)")
            }
            return s
        }
        let convIn = try shape("encoder.conv_in.weight", rank: 4)              // [ch, in, 3, 3]
        let (channels, inChannels) = (convIn[0], convIn[1])
        let levels = try contiguousIndices(after: names.downLevel, in: source, layout: layout, what: "encoder levels")
        var multipliers: [Int] = []
        for level in 0..<levels {
            let key = names.downConv1(level)
            let width = try shape(key, rank: 4)[0]                             // [ch·mult, in, 3, 3]
            guard width % channels == 0 else {
                throw AutoencoderError("\(source.sourceDescription): \(key) has \(width) output channels, not a multiple of conv_in's \(channels)")
            }
            multipliers.append(width / channels)
        }
        let resBlocks = try contiguousIndices(after: names.downResnet(0), in: source, layout: layout,
                                             what: "res blocks of encoder level 0")
        let decoderIn = try shape("decoder.conv_in.weight", rank: 4)           // [ch·mult[-1], z, 3, 3]
        let decoderOut = try shape("decoder.conv_out.weight", rank: 4)         // [out, ch, 3, 3]

        var config = AutoencoderConfig(inChannels: inChannels, outChannels: decoderOut[0], channels: channels,
                                       channelMultipliers: multipliers, resBlocks: resBlocks,
                                       latentChannels: decoderIn[1])
        if let diffusersConfig { try config.apply(diffusersConfig) }
        return config   // validated when the model is built, after the caller had the chance to set groups
    }

    /// Takes groups, scale and shift from a diffusers config, after checking that its structural fields
    /// describe the same network as the weights.
    public mutating func apply(_ json: DiffusersAutoencoderConfig) throws {
        func check(_ field: String, _ stated: String?, _ found: String) throws {
            if let stated, stated != found {
                throw AutoencoderError("the diffusers config says \(field) \(stated), the weights have \(found); the config and the checkpoint do not belong together")
            }
        }
        try check("block_out_channels", json.blockOutChannels.map { "\($0)" }, "\((0..<levels).map(channels(atLevel:)))")
        try check("layers_per_block", json.layersPerBlock.map(String.init), String(resBlocks))
        try check("latent_channels", json.latentChannels.map(String.init), String(latentChannels))
        try check("in_channels", json.inChannels.map(String.init), String(inChannels))
        try check("out_channels", json.outChannels.map(String.init), String(outChannels))
        groups = json.normNumGroups
        scaleFactor = json.scalingFactor
        shiftFactor = json.shiftFactor
    }
}

/// The key names `infer` reads, per layout.
private struct AutoencoderKeyNames {
    let layout: AutoencoderLayout
    /// Prefix followed by a level index.
    var downLevel: String { layout == .bfl ? "encoder.down." : "encoder.down_blocks." }
    func downResnet(_ level: Int) -> String {
        layout == .bfl ? "encoder.down.\(level).block." : "encoder.down_blocks.\(level).resnets."
    }
    func downConv1(_ level: Int) -> String { downResnet(level) + "0.conv1.weight" }
}

/// How many n there are such that `prefix` + "n." starts a key, requiring them to be 0..<count.
private func contiguousIndices(after prefix: String, in source: any TensorSource, layout: AutoencoderLayout,
                               what: String) throws -> Int {
    var found = Set<Int>()
    for key in source.keys where key.hasPrefix(prefix) {
        let rest = key.dropFirst(prefix.count)
        guard let dot = rest.firstIndex(of: "."), let index = Int(rest[..<dot]), index >= 0 else { continue }
        found.insert(index)
    }
    guard !found.isEmpty else {
        throw AutoencoderError("\(source.sourceDescription) has no \(prefix)0.* tensors (\(what)): not a FLUX autoencoder in the \(layout) layout\(hint(source, layout))")
    }
    let count = found.max()! + 1
    guard found.count == count else {
        let missing = (0..<count).filter { !found.contains($0) }.map(String.init).joined(separator: ", ")
        throw AutoencoderError("\(source.sourceDescription): \(what) are numbered up to \(count - 1) but \(prefix){\(missing)} are missing; the checkpoint is incomplete")
    }
    return count
}

/// A hint when the other layout (or a prefix) would fit.
private func hint(_ source: any TensorSource, _ layout: AutoencoderLayout) -> String {
    guard let found = AutoencoderLayout.locate(in: source) else { return "" }
    if let prefixed = found.source as? PrefixedTensorSource {
        return " (its AE is under the prefix '\(prefixed.prefix)': use AutoencoderLayout.locate)"
    }
    return found.layout == layout ? "" : " (it looks like the \(found.layout) layout)"
}
