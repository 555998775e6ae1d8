import BantamCore

/// The sizes and settings of a T5 v1.1 encoder (transformers' `T5Config`, gated-GELU feed-forward). The
/// defaults are T5-XXL v1.1 (google/t5-v1_1-xxl, FLUX's and SD3's `t5xxl`; formats.md §3.4).
public struct T5EncoderConfig: Sendable, Equatable {
    public var vocabSize: Int
    public var dModel: Int
    /// Width of one attention head (`d_kv`); heads·dKV need not equal dModel.
    public var dKV: Int
    public var dFF: Int
    public var layers: Int
    public var heads: Int
    public var relativeAttentionNumBuckets: Int
    public var relativeAttentionMaxDistance: Int
    public var eps: Float
    /// The gate's activation (`dense_act_fn`).
    public var activation: TextActivation

    public init(vocabSize: Int = 32128, dModel: Int = 4096, dKV: Int = 64, dFF: Int = 10240, layers: Int = 24,
                heads: Int = 64, relativeAttentionNumBuckets: Int = 32, relativeAttentionMaxDistance: Int = 128,
                eps: Float = 1e-6, activation: TextActivation = .geluNew) {
        self.vocabSize = vocabSize
        self.dModel = dModel
        self.dKV = dKV
        self.dFF = dFF
        self.layers = layers
        self.heads = heads
        self.relativeAttentionNumBuckets = relativeAttentionNumBuckets
        self.relativeAttentionMaxDistance = relativeAttentionMaxDistance
        self.eps = eps
        self.activation = activation
    }

    /// T5-XXL v1.1's encoder.
    public static let xxl = T5EncoderConfig()

    /// heads · dKV, the width of q, k, v.
    public var innerDim: Int { heads * dKV }

    /// Throws when the sizes cannot make a model.
    public func validate() throws {
        for (name, value) in [("vocabSize", vocabSize), ("dModel", dModel), ("dKV", dKV), ("dFF", dFF),
                              ("layers", layers), ("heads", heads),
                              ("relativeAttentionMaxDistance", relativeAttentionMaxDistance)] where value <= 0 {
            throw TextEncoderError("T5 config: \(name) is \(value); expected a positive number")
        }
        // Bidirectional bucketing gives each sign n/2 buckets, half of them exact: n/4 must be at least 1.
        guard relativeAttentionNumBuckets >= 4 else {
            throw TextEncoderError("T5 config: \(relativeAttentionNumBuckets) relative attention buckets are too few; expected 4 or more (T5 uses 32)")
        }
        guard relativeAttentionMaxDistance > relativeAttentionNumBuckets / 4 else {
            throw TextEncoderError("T5 config: relative_attention_max_distance \(relativeAttentionMaxDistance) must exceed the \(relativeAttentionNumBuckets / 4) exact buckets (T5 uses 128)")
        }
        guard eps >= 0, eps.isFinite else { throw TextEncoderError("T5 config: layer_norm_epsilon \(eps) is not a small positive number") }
    }

    // MARK: From the checkpoint's shapes

    /// Reads the sizes from the tensor shapes: vocabulary and width from `shared.weight` (or its tied copy
    /// `encoder.embed_tokens.weight`), buckets and heads from block 0's `relative_attention_bias`
    /// [buckets, heads], dKV from q's rows / heads, dFF from `wi_0`, layers by counting `encoder.block.N`.
    /// The maximum distance (128), epsilon (1e-6) and activation (tanh GELU) are T5 v1.1's: shapes do not
    /// show them. T5 v1.0 (a single `wi`, ReLU, not gated) is refused.
    public static func infer(from source: any TensorSource) throws -> T5EncoderConfig {
        let s = try ShapeSizes(source)
        let config = T5EncoderConfig(vocabSize: s.vocab, dModel: s.dModel, dKV: s.dKV, dFF: s.dFF, layers: s.layers,
                                     heads: s.heads, relativeAttentionNumBuckets: s.buckets)
        try config.validate()
        return config
    }

    /// Returns this config after checking that its sizes are the ones `source`'s shapes show.
    public func matching(_ source: any TensorSource) throws -> T5EncoderConfig {
        let s = try ShapeSizes(source)
        let pairs: [(String, Int, Int)] = [
            ("vocab_size", vocabSize, s.vocab), ("d_model", dModel, s.dModel), ("d_kv", dKV, s.dKV),
            ("d_ff", dFF, s.dFF), ("num_layers", layers, s.layers), ("num_heads", heads, s.heads),
            ("relative_attention_num_buckets", relativeAttentionNumBuckets, s.buckets),
        ]
        let differing = pairs.filter { $0.1 != $0.2 }.map { "\($0.0) \($0.1) (checkpoint: \($0.2))" }
        guard differing.isEmpty else {
            throw TextEncoderError("the T5 config does not match \(source.sourceDescription): \(differing.joined(separator: ", ")); use the config.json that came with the weights")
        }
        return self
    }

    /// The sizes a T5 encoder checkpoint's shapes show.
    private struct ShapeSizes {
        var vocab = 0, dModel = 0, dKV = 0, dFF = 0, layers = 0, heads = 0, buckets = 0

        init(_ source: any TensorSource) throws {
            func matrix(_ name: String) throws -> Shape {
                guard let s = source.shape(of: name) else {
                    throw TextEncoderError("\(source.sourceDescription) has no '\(name)'; is it a T5 encoder?")
                }
                guard s.rank == 2 else {
                    throw TextEncoderError("\(source.sourceDescription): '\(name)' has shape \(s); expected a matrix")
                }
                return s
            }
            let block0 = "encoder.block.0.layer."
            if source.shape(of: block0 + "1.DenseReluDense.wi_0.weight") == nil,
               source.shape(of: block0 + "1.DenseReluDense.wi.weight") != nil {
                throw TextEncoderError("\(source.sourceDescription) is a T5 v1.0 encoder (ReLU, no gate); only T5 v1.1 (gated GELU, as FLUX and SD3 use) is supported")
            }
            let table = source.shape(of: "shared.weight") == nil && source.shape(of: TextEncoderLayouts.t5TiedEmbedding) != nil
                ? try matrix(TextEncoderLayouts.t5TiedEmbedding) : try matrix("shared.weight")        // [vocab, d]
            let bias = try matrix(block0 + "0.SelfAttention.relative_attention_bias.weight")         // [buckets, heads]
            let q = try matrix(block0 + "0.SelfAttention.q.weight")                                  // [heads·dKV, d]
            let wi0 = try matrix(block0 + "1.DenseReluDense.wi_0.weight")                            // [dFF, d]
            (vocab, dModel, buckets, heads, dFF) = (table[0], table[1], bias[0], bias[1], wi0[0])
            guard heads > 0, q[0] % heads == 0 else {
                throw TextEncoderError("\(source.sourceDescription): q has \(q[0]) rows, which do not split into \(heads) heads (from relative_attention_bias \(bias))")
            }
            dKV = q[0] / heads
            layers = TextEncoderShapes.blockCount(in: source, prefix: "encoder.block.")
        }
    }

    // MARK: From config.json

    /// Reads a transformers `T5Config` (a diffusers `text_encoder_2/config.json`). Absent fields take
    /// transformers' defaults; like transformers, `dense_act_fn` and `is_gated_act` default to what
    /// `feed_forward_proj` says ("gated-gelu" → gated `gelu_new`). Only gated feed-forwards are supported.
    public init(configJSON text: String, origin: String = "config.json") throws {
        try self.init(file: try TextEncoderConfigFile(json: text, origin: origin))
    }

    /// Reads a config.json file (see `init(configJSON:)`).
    public static func load(configFile path: String) throws -> T5EncoderConfig {
        try T5EncoderConfig(file: try TextEncoderConfigFile.parse(file: path))
    }

    init(file f: TextEncoderConfigFile) throws {
        let projection = try f.string("feed_forward_proj") ?? "relu"
        let parts = projection.split(separator: "-").map(String.init)
        let gated = try f.bool("is_gated_act") ?? (parts.first == "gated")
        let activationName = try f.string("dense_act_fn") ?? (projection == "gated-gelu" ? "gelu_new" : parts.last ?? projection)
        guard gated else {
            throw TextEncoderError("\(f.origin): the feed-forward is not gated (feed_forward_proj '\(projection)', T5 v1.0); only T5 v1.1's gated feed-forward is supported")
        }
        self.init(vocabSize: try f.size("vocab_size") ?? 32128, dModel: try f.size("d_model") ?? 512,
                  dKV: try f.size("d_kv") ?? 64, dFF: try f.size("d_ff") ?? 2048, layers: try f.size("num_layers") ?? 6,
                  heads: try f.size("num_heads") ?? 8,
                  relativeAttentionNumBuckets: try f.size("relative_attention_num_buckets") ?? 32,
                  relativeAttentionMaxDistance: try f.size("relative_attention_max_distance") ?? 128,
                  eps: Float(try f.double("layer_norm_epsilon") ?? 1e-6),
                  activation: try TextActivation(huggingFaceName: activationName))
        do { try validate() } catch { throw TextEncoderError("\(f.origin): \(error)") }
    }
}
