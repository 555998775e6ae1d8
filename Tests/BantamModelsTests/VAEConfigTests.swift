import BantamCore
import BantamCPU
import BantamIO
import BantamModels
import BantamNN
import BantamTestSupport
import Testing

/// Config inference from shapes and from diffusers config.json, on the tiny fixture and on the full-size
/// FLUX.1 AE key sets (zero-stride placeholders: the structure of the real model at no memory cost).
@Suite struct VAEConfigTests {
    let cpu = CPUBackend.shared

    static let fluxDiffusersJSON = """
    {"_class_name": "AutoencoderKL", "_diffusers_version": "0.30.0.dev0", "act_fn": "silu",
     "block_out_channels": [128, 256, 512, 512], "down_block_types": ["DownEncoderBlock2D", "DownEncoderBlock2D",
     "DownEncoderBlock2D", "DownEncoderBlock2D"], "force_upcast": true, "in_channels": 3, "latent_channels": 16,
     "latents_mean": null, "latents_std": null, "layers_per_block": 2, "mid_block_add_attention": true,
     "norm_num_groups": 32, "out_channels": 3, "sample_size": 1024, "scaling_factor": 0.3611,
     "shift_factor": 0.1159, "up_block_types": ["UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D",
     "UpDecoderBlock2D"], "use_post_quant_conv": false, "use_quant_conv": false}
    """

    @Test func fullSizeBFLKeySetInfersFluxAndLoadsStrictly() throws {
        let keys = VAEKeys.bfl(.flux)
        #expect(keys.count == 244)                                            // formats.md §2.8
        #expect(keys.reduce(0) { $0 + $1.1.count } == 83_819_683)
        let source = try VAEKeys.placeholders(keys)
        let config = try AutoencoderConfig.infer(from: source, layout: .bfl)
        #expect(config == .flux)
        #expect(config.groups == 32 && config.scaleFactor == 0.3611 && config.shiftFactor == 0.1159)
        #expect(config.downsampleFactor == 8 && config.levels == 4)
        let model = try FluxAutoencoder.load(from: source, layout: .bfl, config: config, backend: cpu)
        #expect(model.decoder.up.count == 4 && model.decoder.up[0].upsample == nil && model.decoder.up[3].upsample != nil)
        #expect(model.decoder.up[0].block.count == 3 && model.encoder.down[3].downsample == nil)
        #expect(model.decoder.up[0].block[0].ninShortcut?.weight.shape == [128, 256, 1, 1])
    }

    @Test func fullSizeDiffusersKeySetInfersFluxAndLoadsStrictly() throws {
        let keys = VAEKeys.diffusers(.flux)
        #expect(keys.count == 244)
        let source = try VAEKeys.placeholders(keys)
        let json = try DiffusersAutoencoderConfig(json: Self.fluxDiffusersJSON)
        let config = try AutoencoderConfig.infer(from: source, layout: .diffusers, diffusersConfig: json)
        #expect(config == .flux)
        _ = try FluxAutoencoder.load(from: source, layout: .diffusers, config: config, backend: cpu)
    }

    @Test func fullSizeUnderSingleFilePrefixes() throws {
        for prefix in ["vae.", "first_stage_model."] {
            let source = try VAEKeys.placeholders(VAEKeys.bfl(.flux), prefix: prefix)
            let found = try #require(AutoencoderLayout.locate(in: source))
            #expect(found.layout == .bfl)
            let config = try AutoencoderConfig.infer(from: found.source, layout: .bfl)
            #expect(config == .flux)
            _ = try FluxAutoencoder.load(from: found.source, layout: .bfl, config: config, backend: cpu)
        }
    }

    @Test func tinyFixtureInBothLayouts() throws {
        let tiny = AutoencoderConfig(channels: 8, channelMultipliers: [1, 2], resBlocks: 1, latentChannels: 16, groups: 4)
        let json = try VAEFixture.diffusersConfig()
        #expect(json.normNumGroups == 4 && json.blockOutChannels == [8, 16] && json.layersPerBlock == 1)
        let diffusers = try Checkpoint(path: Fixtures.fluxTiny("diffusers/vae"))
        #expect(try AutoencoderConfig.infer(from: diffusers, layout: .diffusers, diffusersConfig: json) == tiny)
        // Without the config, the BFL defaults (32 groups), which the tiny model cannot use.
        let bfl = try Checkpoint(path: Fixtures.fluxTiny("bfl/ae.safetensors"))
        let guessed = try AutoencoderConfig.infer(from: bfl, layout: .bfl)
        #expect(guessed == tiny.with(groups: 32))
        let error = try #require(throws: AutoencoderError.self) { try guessed.validate() }
        #expect(error.message.contains("8 channels do not divide into 32 GroupNorm groups"))
        #expect(tiny.downsampleFactor == 2)
    }

    @Test func configThatDisagreesWithTheWeightsIsRefused() throws {
        let bfl = try Checkpoint(path: Fixtures.fluxTiny("bfl/ae.safetensors"))
        var text = try #require(Self.tinyJSON)
        text = text.replacingOccurrences("[8, 16]", "[8, 32]")
        let json = try DiffusersAutoencoderConfig(json: text)
        let error = try #require(throws: AutoencoderError.self) {
            try AutoencoderConfig.infer(from: bfl, layout: .bfl, diffusersConfig: json)
        }
        #expect(error.message == "the diffusers config says block_out_channels [8, 32], the weights have [8, 16]; the config and the checkpoint do not belong together")
    }

    static let tinyJSON: String? = """
    {"_class_name": "AutoencoderKL", "block_out_channels": [8, 16], "layers_per_block": 1, "latent_channels": 16,
     "norm_num_groups": 4, "scaling_factor": 0.3611, "shift_factor": 0.1159, "use_quant_conv": false,
     "use_post_quant_conv": false}
    """

    @Test func diffusersConfigDefaultsAndErrors() throws {
        // Missing fields: diffusers' defaults (here the quant convs are switched off, as FLUX's are).
        let minimal = try DiffusersAutoencoderConfig(json: #"{"use_quant_conv": false, "use_post_quant_conv": false}"#)
        #expect(minimal.normNumGroups == 32 && minimal.scalingFactor == 0.18215 && minimal.shiftFactor == 0)
        #expect(minimal.blockOutChannels == nil && minimal.midBlockAddAttention)
        let nullShift = try DiffusersAutoencoderConfig(json: #"{"shift_factor": null, "use_quant_conv": false, "use_post_quant_conv": false}"#)
        #expect(nullShift.shiftFactor == 0)

        let cases: [(String, String)] = [
            (#"{"use_post_quant_conv": false}"#, "use_quant_conv / use_post_quant_conv are not false"),
            (#"{"use_quant_conv": false, "use_post_quant_conv": false, "norm_num_groups": "32"}"#,
             #"cfg.json: "norm_num_groups" is "32"; expected a positive integer"#),
            (#"{"use_quant_conv": false, "use_post_quant_conv": false, "scaling_factor": true}"#,
             #""scaling_factor" is true; expected a finite number"#),
            (#"{"use_quant_conv": false, "use_post_quant_conv": false, "block_out_channels": [128, 0]}"#,
             #""block_out_channels" is an array of 2; expected an array of positive integers"#),
            (#"{"_class_name": "AutoencoderKLQwenImage"}"#, "reads AutoencoderKL configs only"),
            (#"{"use_quant_conv": false, "use_post_quant_conv": false, "mid_block_add_attention": false}"#,
             "mid_block_add_attention is false"),
            (#"[1, 2]"#, "cfg.json: is an array; expected the JSON object"),
            (#"{"a": 1,}"#, "cfg.json: not valid JSON"),
        ]
        for (text, message) in cases {
            let error = try #require(throws: AutoencoderError.self) { try DiffusersAutoencoderConfig(json: text, origin: "cfg.json") }
            #expect(error.message.contains(message), "\(text): \(error.message)")
            #expect(!error.message.contains("\n"))
        }
        let missing = try #require(throws: AutoencoderError.self) {
            try DiffusersAutoencoderConfig(contentsOf: Fixtures.fluxTiny("diffusers/vae/nothing.json"))
        }
        #expect(missing.message.contains("cannot open") && missing.message.contains("nothing.json"))
    }

    @Test func validationNamesTheProblem() throws {
        var config = AutoencoderConfig.flux
        config.groups = 3
        #expect(throws: AutoencoderError.self) { try config.validate() }
        config = .flux
        config.scaleFactor = 0
        let error = try #require(throws: AutoencoderError.self) { try config.validate() }
        #expect(error.message.contains("scale non-zero"))
        config = .flux
        config.channelMultipliers = []
        #expect(throws: AutoencoderError.self) { try config.validate() }
        // The model refuses an invalid config before loading anything.
        let loader = WeightLoader(source: try VAEKeys.placeholders(VAEKeys.bfl(.flux)),
                                  layout: AutoencoderLayout.bfl.weightLayout(for: .flux), backend: cpu)
        #expect(throws: AutoencoderError.self) { try FluxAutoencoder(config: config, loader: loader) }
    }
}

extension String {
    /// Plain substring replacement (no Foundation in the tests).
    func replacingOccurrences(_ target: String, _ replacement: String) -> String {
        var result = "", rest = Substring(self)
        while let range = rest.firstRange(of: target) {
            result += rest[..<range.lowerBound] + replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}
