import BantamCore
import BantamNN

/// The T5 v1.1 encoder stack (transformers `T5EncoderModel`), as FLUX uses it for its text sequence:
/// token embedding (`shared`, no √d scaling), blocks of pre-norm self-attention with a relative position
/// bias computed once from block 0's table, gated-GELU feed-forwards, a final RMS norm (formats.md §3.4).
/// No attention mask: padding tokens are attended to, as in the FLUX reference.
///
/// Numerics: every op computes in f32 and rounds once to the activation dtype (the token embedding's
/// dtype as loaded); T5's norm rounds twice, as transformers does (`T5LayerNorm`). With f16 activations
/// transformers also keeps each `wo` in f32 and clamps infinities; that is not mirrored here, and T5 v1.1
/// is known to overflow f16: run it in bf16 or f32.
public final class T5Encoder: Sendable {
    public let config: T5EncoderConfig
    public let shared: Tensor                                  // [vocab, d]
    public let relativeAttentionBias: T5RelativePositionBias   // block 0's table [buckets, heads]
    public let blocks: [T5Block]
    public let finalLayerNorm: T5LayerNorm

    /// Builds the encoder from `loader` (call `loader.finish()` afterwards to learn of any mismatch).
    ///
    /// The token embedding is `shared.weight`. Some files also carry `encoder.embed_tokens.weight`, a tied
    /// copy: it is accepted when it is byte for byte the same tensor, and used in place of `shared.weight`
    /// when that is absent (transformers ties the two either way). When both are present and differ, the
    /// file is refused: transformers would embed with `encoder.embed_tokens.weight` and ComfyUI with
    /// `shared.weight`, so there is no single right answer to give.
    public init(config: T5EncoderConfig, loader: WeightLoader) throws {
        try config.validate()
        self.config = config
        shared = try Self.tokenEmbedding(loader, config: config)
        let weights = TextEncoderWeights(dtype: shared.dtype)
        let encoder = loader.root.child("encoder")
        let firstAttention = encoder.child("block").child(0).child("layer").child(0).child("SelfAttention")
        relativeAttentionBias = T5RelativePositionBias(
            table: try weights.tensor(firstAttention.child("relative_attention_bias"), "weight",
                                      shape: [config.relativeAttentionNumBuckets, config.heads]),
            numBuckets: config.relativeAttentionNumBuckets, maxDistance: config.relativeAttentionMaxDistance)
        blocks = try (0..<config.layers).map {
            try T5Block(encoder.child("block").child($0), config: config, weights: weights)
        }
        finalLayerNorm = T5LayerNorm(weight: try weights.tensor(encoder.child("final_layer_norm"), "weight",
                                                                shape: [config.dModel]), eps: config.eps)
    }

    /// Loads a T5 encoder (HF names; a ComfyUI file through `PrefixedTensorSource(file, prefix:
    /// TextEncoderLayouts.comfyT5Prefix)`), strictly: a missing, mis-shaped or unexpected tensor throws a
    /// `WeightMapError` naming each. `config` defaults to the one the shapes imply.
    public static func load(from source: any TensorSource, config: T5EncoderConfig? = nil, backend: any Backend,
                            precision: LoadPrecision = .asStored) throws -> T5Encoder {
        let loader = WeightLoader(source: source, layout: TextEncoderLayouts.t5HF, backend: backend, precision: precision)
        let model = try T5Encoder(config: try config ?? T5EncoderConfig.infer(from: source), loader: loader)
        try loader.finish()
        return model
    }

    /// The dtype of the activations and output.
    public var dtype: DType { shared.dtype }

    /// ids [B, L] (i32 or i64) -> last hidden state [B, L, dModel].
    public func callAsFunction(_ ids: Tensor) throws -> Tensor {
        guard ids.rank == 2, ids.dtype == .i32 || ids.dtype == .i64, ids.shape[1] >= 1 else {
            throw TextEncoderError("T5 input ids are \(ids.dtype) \(ids.shape); expected i32 or i64 [batch, length ≥ 1]")
        }
        let l = ids.shape[1]
        // 1. Token embeddings (no scaling).
        var x = try embedding(ids, table: shared)                                        // [B, L, d]
        // 2. The relative position bias, once for all blocks.
        let positionBias = try relativeAttentionBias(queryLength: l, keyLength: l)       // [1, H, L, L]
        // 3. Blocks, then the final norm.
        for block in blocks { x = try block(x, positionBias: positionBias) }
        return try finalLayerNorm(x)                                                     // [B, L, d]
    }

    /// `shared.weight`, checked against (or replaced by) the tied copy `encoder.embed_tokens.weight`.
    private static func tokenEmbedding(_ loader: WeightLoader, config: T5EncoderConfig) throws -> Tensor {
        let shape: Shape = [config.vocabSize, config.dModel]
        let tied = TextEncoderLayouts.t5TiedEmbedding
        guard loader.provides(tied) else { return try loader.root.tensor("shared.weight", shape: shape) }
        guard loader.provides("shared.weight") else { return try loader.root.tensor(tied, shape: shape) }
        let table = try loader.root.tensor("shared.weight", shape: shape)
        guard try storedTensorsEqual(loader, "shared.weight", tied) else {
            throw TextEncoderError("\(loader.source.sourceDescription): \(tied) differs from shared.weight; transformers would embed tokens with the first and ComfyUI with the second, so remove one of them from the file")
        }
        return table
    }

    /// Whether two parameters are stored identically (dtype, shape and bytes), read as stored.
    private static func storedTensorsEqual(_ loader: WeightLoader, _ a: String, _ b: String) throws -> Bool {
        guard let ra = loader.layout.recipe(for: a), let rb = loader.layout.recipe(for: b),
              ra.shape(in: loader.source) == rb.shape(in: loader.source),
              loader.storedDType(a) == loader.storedDType(b) else { return false }
        let x = try ra.load(from: loader.source, on: loader.backend).hostBuffer()
        let y = try rb.load(from: loader.source, on: loader.backend).hostBuffer()
        return x.byteCount == y.byteCount && equalBytes(x.bytes, y.bytes)
    }

    /// Byte equality, eight bytes at a time (a T5-XXL table is 263 MB in bf16).
    private static func equalBytes(_ x: UnsafeRawBufferPointer, _ y: UnsafeRawBufferPointer) -> Bool {
        let count = x.count, words = count / 8
        guard let px = x.baseAddress, let py = y.baseAddress else { return count == 0 }
        if px == py { return true }
        for i in 0..<words where px.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)
            != py.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self) { return false }
        for i in (words * 8)..<count where x[i] != y[i] { return false }
        return true
    }
}
