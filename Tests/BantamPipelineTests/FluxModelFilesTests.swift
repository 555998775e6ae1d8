import Testing
import BantamIO
import BantamPipeline
import BantamTestSupport

/// Resolving --model/--clip/--t5/--vae/--tokenizers over the tiny FLUX fixtures in every layout.
@Suite struct FluxModelFilesTests {
    static func tiny(_ p: String) -> String { Fixtures.fluxTiny(p) }

    @Test func diffusersFolder() throws {
        let files = try FluxModelFiles.resolve(model: Self.tiny("diffusers"))
        #expect(files.transformer.detected.family == .flux1Dev && files.transformer.detected.layout == .diffusers)
        #expect(files.clip.path == Self.tiny("diffusers/text_encoder"))
        #expect(files.t5.path == Self.tiny("diffusers/text_encoder_2"))
        #expect(files.vae.detected.family == .flux1Autoencoder && files.vae.detected.layout == .diffusers)
        #expect(files.configs == FluxModelFiles.Configs(transformer: Self.tiny("diffusers/transformer/config.json"),
                                                        clip: Self.tiny("diffusers/text_encoder/config.json"),
                                                        t5: Self.tiny("diffusers/text_encoder_2/config.json"),
                                                        vae: Self.tiny("diffusers/vae/config.json")))
        #expect(files.clipTokenizer == Self.tiny("diffusers/tokenizer"))
        #expect(files.t5Tokenizer == Self.tiny("diffusers/tokenizer_2"))
        #expect(files.isGuidanceDistilled && files.name == "diffusers")
        #expect(files.transformer.source.keys.contains("x_embedder.weight"))
    }

    @Test func bflFilesWithSeparateEncodersAndTokenizersFoundNearby() throws {
        let files = try FluxModelFiles.resolve(model: Self.tiny("bfl/flux1-tiny-dev.safetensors"),
                                               clip: Self.tiny("bfl/clip_l.safetensors"), t5: Self.tiny("bfl/t5xxl.safetensors"),
                                               vae: Self.tiny("bfl/ae.safetensors"))
        #expect(files.transformer.detected.layout == .bfl && files.vae.detected.layout == .bfl)
        #expect(files.clip.path.hasSuffix("clip_l.safetensors") && files.t5.path.hasSuffix("t5xxl.safetensors"))
        #expect(files.configs == FluxModelFiles.Configs())
        #expect(files.clipTokenizer.hasSuffix("tokenizers/clip") && files.t5Tokenizer.hasSuffix("tokenizers/t5"))
        #expect(files.name == "flux1-tiny-dev")
        let schnell = try FluxModelFiles.resolve(model: Self.tiny("bfl/flux1-tiny-schnell.safetensors"),
                                                 clip: Self.tiny("bfl/clip_l.safetensors"), t5: Self.tiny("bfl/t5xxl.safetensors"),
                                                 vae: Self.tiny("bfl/ae.safetensors"), tokenizers: Self.tiny("tokenizers"),
                                                 configs: Self.tiny("diffusers"))
        #expect(!schnell.isGuidanceDistilled)
        #expect(schnell.configs.vae == Self.tiny("diffusers/vae/config.json"))
        #expect(schnell.configs.t5 == Self.tiny("diffusers/text_encoder_2/config.json"))
        // Parts given as diffusers subfolders bring their config.json.
        let folders = try FluxModelFiles.resolve(model: Self.tiny("bfl/flux1-tiny-dev.safetensors"),
                                                 clip: Self.tiny("diffusers/text_encoder"), t5: Self.tiny("diffusers/text_encoder_2"),
                                                 vae: Self.tiny("diffusers/vae"))
        #expect(folders.configs.clip == Self.tiny("diffusers/text_encoder/config.json") && folders.configs.transformer == nil)
        #expect(folders.clipTokenizer == Self.tiny("diffusers/tokenizer"))
        // A diffusers transformer folder as --model (sharded, with its config.json).
        let transformerFolder = try FluxModelFiles.resolve(model: Self.tiny("diffusers/transformer"), clip: Self.tiny("diffusers/text_encoder"),
                                                           t5: Self.tiny("diffusers/text_encoder_2"), vae: Self.tiny("diffusers/vae"))
        #expect(transformerFolder.transformer.detected.layout == .diffusers)
        #expect(transformerFolder.configs.transformer == Self.tiny("diffusers/transformer/config.json"))
        #expect(schnell.clipTokenizer == Self.tiny("tokenizers/clip"))
    }

    @Test func comfyAllInOne() throws {
        let files = try FluxModelFiles.resolve(model: Self.tiny("comfy/flux1-tiny-dev-aio.safetensors"))
        #expect(files.transformer.detected.prefix == "model.diffusion_model.")
        #expect(files.clip.detected.prefix == "text_encoders.clip_l.transformer.")
        #expect(files.t5.detected.prefix == "text_encoders.t5xxl.transformer.")
        #expect(files.vae.detected.prefix == "vae.")
        #expect(files.transformer.source.keys.contains("img_in.weight"))
        #expect(files.t5.source.keys.contains("shared.weight"))
        // A separate VAE replaces the bundled one.
        let replaced = try FluxModelFiles.resolve(model: Self.tiny("comfy/flux1-tiny-dev-aio.safetensors"), vae: Self.tiny("bfl/ae.safetensors"))
        #expect(replaced.vae.path.hasSuffix("bfl/ae.safetensors") && replaced.vae.detected.prefix == "")
    }

    static func message(_ body: () throws -> Void) -> String {
        do { try body(); return "" } catch { return String(describing: error) }
    }

    @Test func wrongFilesGetOneLineErrors() {
        let t5AsModel = Self.message { _ = try FluxModelFiles.resolve(model: Self.tiny("bfl/t5xxl.safetensors")) }
        #expect(t5AsModel.contains("not a FLUX.1 transformer") && t5AsModel.contains("--t5"), "\(t5AsModel)")
        let aeAsClip = Self.message {
            _ = try FluxModelFiles.resolve(model: Self.tiny("bfl/flux1-tiny-dev.safetensors"), clip: Self.tiny("bfl/ae.safetensors"))
        }
        #expect(aeAsClip.contains("given as --clip") && aeAsClip.contains("pass it as --vae"), "\(aeAsClip)")
        let missingT5 = Self.message {
            _ = try FluxModelFiles.resolve(model: Self.tiny("bfl/flux1-tiny-dev.safetensors"), clip: Self.tiny("bfl/clip_l.safetensors"))
        }
        #expect(missingT5.contains("pass --t5"), "\(missingT5)")
        let missingPath = Self.message { _ = try FluxModelFiles.resolve(model: "/nonexistent/flux.safetensors") }
        #expect(missingPath.contains("no such file"), "\(missingPath)")
        let badTokenizers = Self.message {
            _ = try FluxModelFiles.resolve(model: Self.tiny("diffusers"), tokenizers: Self.tiny("bfl"))
        }
        #expect(badTokenizers.contains("no CLIP tokenizer found") && badTokenizers.contains("--tokenizers"), "\(badTokenizers)")
        for text in [t5AsModel, aeAsClip, missingT5, missingPath, badTokenizers] { #expect(!text.contains("\n")) }
    }
}
