import BantamJSON

/// The fields of a diffusers `AutoencoderKL` `config.json` (`vae/config.json` of a pipeline folder) that
/// the weights cannot tell: GroupNorm groups and the latent scale/shift, plus the structural fields, which
/// `AutoencoderConfig.infer` checks against the tensor shapes.
///
/// Missing fields take diffusers' own defaults (`norm_num_groups` 32, `scaling_factor` 0.18215,
/// `shift_factor` null = 0, `use_quant_conv` / `use_post_quant_conv` true). `latents_mean` / `latents_std`
/// (null for FLUX) are not used.
public struct DiffusersAutoencoderConfig: Sendable, Equatable {
    public var blockOutChannels: [Int]?
    public var layersPerBlock: Int?
    public var latentChannels: Int?
    public var inChannels: Int?
    public var outChannels: Int?
    public var normNumGroups: Int
    public var scalingFactor: Float
    public var shiftFactor: Float
    public var useQuantConv: Bool
    public var usePostQuantConv: Bool
    public var midBlockAddAttention: Bool

    /// Parses the text of a config.json; `origin` names it in errors.
    public init(json text: String, origin: String = "config.json") throws {
        let root: JSONValue
        do { root = try JSONParser.parse(text) } catch {
            throw AutoencoderError("\(origin): not valid JSON: \(error)")
        }
        guard let object = root.objectValue else {
            throw AutoencoderError("\(origin): is \(root.typeName); expected the JSON object of a diffusers AutoencoderKL config")
        }
        func field<T>(_ name: String, _ what: String, _ read: (JSONValue) -> T?) throws -> T? {
            guard let value = object[name], value != .null else { return nil }
            guard let result = read(value) else {
                throw AutoencoderError("\(origin): \"\(name)\" is \(value.brief); expected \(what)")
            }
            return result
        }
        let positive: (JSONValue) -> Int? = { $0.integerValue.flatMap { $0 > 0 ? $0 : nil } }
        let number: (JSONValue) -> Float? = { $0.doubleValue.flatMap { $0.isFinite ? Float($0) : nil } }
        let flag: (JSONValue) -> Bool? = { if case .bool(let b) = $0 { return b } else { return nil } }

        if let name = try field("_class_name", "a class name", \.stringValue), name != "AutoencoderKL" {
            throw AutoencoderError("\(origin): _class_name is \"\(name)\"; the FLUX autoencoder reads AutoencoderKL configs only")
        }
        blockOutChannels = try field("block_out_channels", "an array of positive integers") { value in
            guard let items = value.arrayValue, !items.isEmpty else { return nil }
            let ints = items.compactMap(positive)
            return ints.count == items.count ? ints : nil
        }
        layersPerBlock = try field("layers_per_block", "a positive integer", positive)
        latentChannels = try field("latent_channels", "a positive integer", positive)
        inChannels = try field("in_channels", "a positive integer", positive)
        outChannels = try field("out_channels", "a positive integer", positive)
        normNumGroups = try field("norm_num_groups", "a positive integer", positive) ?? 32
        scalingFactor = try field("scaling_factor", "a finite number", number) ?? 0.18215
        shiftFactor = try field("shift_factor", "a finite number", number) ?? 0
        useQuantConv = try field("use_quant_conv", "true or false", flag) ?? true
        usePostQuantConv = try field("use_post_quant_conv", "true or false", flag) ?? true
        midBlockAddAttention = try field("mid_block_add_attention", "true or false", flag) ?? true
        if useQuantConv || usePostQuantConv {
            throw AutoencoderError("\(origin): use_quant_conv / use_post_quant_conv are not false: an SD1/SDXL-style VAE with quant convs, which the FLUX autoencoder does not have")
        }
        if !midBlockAddAttention {
            throw AutoencoderError("\(origin): mid_block_add_attention is false; the FLUX autoencoder always has its mid-block attention")
        }
    }

    /// Reads and parses the config.json at `path`.
    public init(contentsOf path: String) throws {
        try self.init(json: try readConfigText(path), origin: path)
    }
}

/// The whole file at `path` as UTF-8 text (configs are small; a cap keeps a wrong path from reading GBs).
private func readConfigText(_ path: String, limit: Int = 1 << 20) throws -> String {
    do { return try SmallFile.text(at: path, maxSize: limit) } catch {
        throw AutoencoderError(error.message + "; give the diffusers vae/config.json")
    }
}
