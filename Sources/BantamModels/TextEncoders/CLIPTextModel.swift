import BantamCore
import BantamNN

/// The CLIP text tower without a projection (transformers `CLIPTextModel`), as FLUX uses it: token +
/// position embeddings, pre-LayerNorm layers with causal self-attention, a final LayerNorm; the pooled
/// output is the final hidden state at the end-of-text token (formats.md §3.2).
///
/// Parameters have the canonical names `text_model.…` (see `TextEncoderLayouts`). Numerics: every op
/// computes in f32 and rounds once to the activation dtype (the token embedding's dtype as loaded);
/// with f32 weights that is transformers' f32 forward up to summation order.
public final class CLIPTextModel: Sendable {
    public let config: CLIPTextConfig
    public let tokenEmbedding: Tensor        // [vocab, hidden]
    public let positionEmbedding: Tensor     // [maxPositions, hidden]
    public let layers: [CLIPEncoderLayer]
    public let finalLayerNorm: LayerNorm

    /// Builds the model from `loader` (call `loader.finish()` afterwards to learn of any mismatch).
    public init(config: CLIPTextConfig, loader: WeightLoader) throws {
        try config.validate()
        self.config = config
        let model = loader.root.child("text_model")
        let embeddings = model.child("embeddings")
        tokenEmbedding = try embeddings.child("token_embedding").tensor("weight", shape: [config.vocabSize, config.hidden])
        let weights = TextEncoderWeights(dtype: tokenEmbedding.dtype)
        positionEmbedding = try weights.tensor(embeddings.child("position_embedding"), "weight",
                                               shape: [config.maxPositions, config.hidden])
        let encoderLayers = model.child("encoder").child("layers")
        layers = try (0..<config.layers).map {
            try CLIPEncoderLayer(encoderLayers.child($0), config: config, weights: weights)
        }
        finalLayerNorm = try weights.layerNorm(model.child("final_layer_norm"), dim: config.hidden, eps: config.eps)
    }

    /// Loads a CLIP text encoder from any of its layouts (`text_model.` names or not; a ComfyUI file through
    /// `PrefixedTensorSource(file, prefix: TextEncoderLayouts.comfyCLIPPrefix)`), strictly: a missing,
    /// mis-shaped or unexpected tensor throws a `WeightMapError` naming each. `config` defaults to the one
    /// the shapes imply (`CLIPTextConfig.infer(from:)`).
    public static func load(from source: any TensorSource, config: CLIPTextConfig? = nil, backend: any Backend,
                            precision: LoadPrecision = .asStored) throws -> CLIPTextModel {
        let loader = WeightLoader(source: source, layout: TextEncoderLayouts.clip(for: source), backend: backend,
                                  precision: precision)
        let model = try CLIPTextModel(config: try config ?? CLIPTextConfig.infer(from: source), loader: loader)
        try loader.finish()
        return model
    }

    /// The dtype of the activations and outputs.
    public var dtype: DType { tokenEmbedding.dtype }

    /// ids [B, L] (i32 or i64, L ≤ maxPositions) -> (lastHidden [B, L, hidden], pooled [B, hidden]), where
    /// pooled is lastHidden at the first `endToken` of each row. transformers takes the same position: the
    /// first `eos_token_id`, or with the legacy `eos_token_id == 2` configs `argmax(ids)`, which is the
    /// first end-of-text token because that token has the largest id of the vocabulary.
    public func callAsFunction(_ ids: Tensor, endToken: Int) throws -> (lastHidden: Tensor, pooled: Tensor) {
        guard ids.rank == 2, ids.dtype == .i32 || ids.dtype == .i64 else {
            throw TextEncoderError("CLIP input ids are \(ids.dtype) \(ids.shape); expected i32 or i64 [batch, length]")
        }
        let (b, l) = (ids.shape[0], ids.shape[1])
        guard l >= 1, l <= config.maxPositions else {
            throw TextEncoderError("CLIP input has \(l) tokens; this model takes 1 to \(config.maxPositions) (pad or truncate with the tokenizer)")
        }
        let ends = try endPositions(ids, endToken: endToken)

        // 1. Embeddings: token rows plus the first L position rows.
        var x = try embedding(ids, table: tokenEmbedding)                        // [B, L, D]
        x = try x + (try positionEmbedding.slice(axis: 0, 0..<l))                // + [L, D]
        // 2. Encoder layers (causal self-attention, MLP), then the final LayerNorm.
        for layer in layers { x = try layer(x) }
        let lastHidden = try finalLayerNorm(x)                                   // [B, L, D]
        // 3. Pooled: the row of each sequence's first end-of-text token.
        let rows = try (0..<b).map { i in
            try lastHidden.slice(axis: 0, i..<(i + 1)).slice(axis: 1, ends[i]..<(ends[i] + 1)).reshape([1, config.hidden])
        }
        let pooled = try concat(rows, axis: 0)                                   // [B, D]
        return (lastHidden, pooled)
    }

    /// The first position of `endToken` in each row of ids [B, L].
    private func endPositions(_ ids: Tensor, endToken: Int) throws -> [Int] {
        let values = try ids.ints()
        let l = ids.shape[1]
        return try (0..<ids.shape[0]).map { row in
            guard let position = values[(row * l)..<((row + 1) * l)].firstIndex(of: endToken) else {
                throw TextEncoderError("CLIP input row \(row) has no end-of-text token \(endToken); the pooled output is read there, so encode prompts with the CLIP tokenizer")
            }
            return position - row * l
        }
    }
}
