import BantamCore

/// The sizes and settings of a CLIP text tower (transformers' `CLIPTextConfig`). The defaults are CLIP-L
/// (openai/clip-vit-large-patch14, FLUX's and SD3's `clip_l`; formats.md §3.2).
public struct CLIPTextConfig: Sendable, Equatable {
    public var vocabSize: Int
    public var hidden: Int
    public var layers: Int
    public var heads: Int
    public var intermediate: Int
    public var maxPositions: Int
    public var eps: Float
    public var activation: TextActivation

    public init(vocabSize: Int = 49408, hidden: Int = 768, layers: Int = 12, heads: Int = 12,
                intermediate: Int = 3072, maxPositions: Int = 77, eps: Float = 1e-5,
                activation: TextActivation = .quickGelu) {
        self.vocabSize = vocabSize
        self.hidden = hidden
        self.layers = layers
        self.heads = heads
        self.intermediate = intermediate
        self.maxPositions = maxPositions
        self.eps = eps
        self.activation = activation
    }

    /// CLIP-L/14's text tower.
    public static let clipL = CLIPTextConfig()

    public var headDim: Int { hidden / max(heads, 1) }

    /// Throws when the sizes cannot make a model (a head count that does not divide the width, ...).
    public func validate() throws {
        for (name, value) in [("vocabSize", vocabSize), ("hidden", hidden), ("layers", layers), ("heads", heads),
                              ("intermediate", intermediate), ("maxPositions", maxPositions)] where value <= 0 {
            throw TextEncoderError("CLIP config: \(name) is \(value); expected a positive number")
        }
        guard hidden % heads == 0 else {
            throw TextEncoderError("CLIP config: hidden size \(hidden) does not split into \(heads) heads")
        }
        guard eps >= 0, eps.isFinite else { throw TextEncoderError("CLIP config: layer_norm_eps \(eps) is not a small positive number") }
    }

    // MARK: From the checkpoint's shapes

    /// Reads the sizes from the tensor shapes: vocabulary and width from the token embedding, positions
    /// from the position embedding, layers by counting `encoder.layers.N`, intermediate from `fc1`.
    /// Keys with or without the `text_model.` stem are accepted.
    ///
    /// Shapes cannot tell the head count or the activation: heads = hidden / 64 (CLIP-L 12, CLIP-G 20;
    /// every published CLIP text tower has 64-wide heads); the activation is `quick_gelu` (OpenAI CLIP),
    /// except for width 1280 (OpenCLIP ViT-bigG, SDXL's and SD3's `clip_g`), whose config says `gelu`.
    /// Models with other heads (the tiny test model) need their config.json (`load(configFile:)`).
    public static func infer(from source: any TensorSource) throws -> CLIPTextConfig {
        let sizes = try ShapeSizes(source)
        guard sizes.hidden % 64 == 0 else {
            throw TextEncoderError("\(source.sourceDescription): the head count of a CLIP text encoder of width \(sizes.hidden) cannot be read from its shapes (not a multiple of 64); load its config.json")
        }
        let config = CLIPTextConfig(vocabSize: sizes.vocab, hidden: sizes.hidden, layers: sizes.layers,
                                    heads: sizes.hidden / 64, intermediate: sizes.intermediate,
                                    maxPositions: sizes.positions, eps: 1e-5,
                                    activation: sizes.hidden == 1280 ? .gelu : .quickGelu)
        try config.validate()
        return config
    }

    /// Returns this config after checking that its sizes are the ones `source`'s shapes show, so that a
    /// config.json and a checkpoint that do not belong together fail with one clear message.
    public func matching(_ source: any TensorSource) throws -> CLIPTextConfig {
        let sizes = try ShapeSizes(source)
        let pairs: [(String, Int, Int)] = [
            ("vocab_size", vocabSize, sizes.vocab), ("hidden_size", hidden, sizes.hidden),
            ("num_hidden_layers", layers, sizes.layers), ("intermediate_size", intermediate, sizes.intermediate),
            ("max_position_embeddings", maxPositions, sizes.positions),
        ]
        let differing = pairs.filter { $0.1 != $0.2 }.map { "\($0.0) \($0.1) (checkpoint: \($0.2))" }
        guard differing.isEmpty else {
            throw TextEncoderError("the CLIP config does not match \(source.sourceDescription): \(differing.joined(separator: ", ")); use the config.json that came with the weights")
        }
        return self
    }

    /// The sizes a CLIP checkpoint's shapes show.
    private struct ShapeSizes {
        var vocab = 0, hidden = 0, layers = 0, intermediate = 0, positions = 0

        init(_ source: any TensorSource) throws {
            let stem = source.keys.contains { $0.hasPrefix(TextEncoderLayouts.clipStem) } ? TextEncoderLayouts.clipStem : ""
            func matrix(_ name: String) throws -> Shape {
                guard let s = source.shape(of: stem + name) else {
                    throw TextEncoderError("\(source.sourceDescription) has no '\(stem + name)'; is it a CLIP text encoder?")
                }
                guard s.rank == 2 else {
                    throw TextEncoderError("\(source.sourceDescription): '\(stem + name)' has shape \(s); expected a matrix")
                }
                return s
            }
            let token = try matrix("embeddings.token_embedding.weight")          // [vocab, hidden]
            let position = try matrix("embeddings.position_embedding.weight")    // [positions, hidden]
            let fc1 = try matrix("encoder.layers.0.mlp.fc1.weight")              // [intermediate, hidden]
            (vocab, hidden, positions, intermediate) = (token[0], token[1], position[0], fc1[0])
            layers = TextEncoderShapes.blockCount(in: source, prefix: stem + "encoder.layers.")
        }
    }

    // MARK: From config.json

    /// Reads a transformers `CLIPTextConfig` (a diffusers `text_encoder/config.json`), or the
    /// `text_config` of a full `CLIPConfig`. Absent fields take transformers' defaults.
    public init(configJSON text: String, origin: String = "config.json") throws {
        try self.init(file: try TextEncoderConfigFile(json: text, origin: origin))
    }

    /// Reads a config.json file (see `init(configJSON:)`).
    public static func load(configFile path: String) throws -> CLIPTextConfig {
        try CLIPTextConfig(file: try TextEncoderConfigFile.parse(file: path))
    }

    init(file: TextEncoderConfigFile) throws {
        let f = try file.child("text_config") ?? file
        // transformers' CLIPTextConfig defaults for absent fields.
        self.init(vocabSize: try f.size("vocab_size") ?? 49408, hidden: try f.size("hidden_size") ?? 512,
                  layers: try f.size("num_hidden_layers") ?? 12, heads: try f.size("num_attention_heads") ?? 8,
                  intermediate: try f.size("intermediate_size") ?? 2048,
                  maxPositions: try f.size("max_position_embeddings") ?? 77,
                  eps: Float(try f.double("layer_norm_eps") ?? 1e-5),
                  activation: try TextActivation(huggingFaceName: try f.string("hidden_act") ?? "quick_gelu"))
        do { try validate() } catch { throw TextEncoderError("\(f.origin): \(error)") }
    }
}

