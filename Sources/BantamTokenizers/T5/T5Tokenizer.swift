/// T5's SentencePiece unigram tokenizer (FLUX's second text encoder), read from `spiece.model` or a
/// Hugging Face `tokenizer.json`, giving the ids the Hugging Face tokenizers give (what diffusers feeds
/// the T5 encoder).
///
/// `Semantics.sentencePiece` instead reproduces the sentencepiece library itself on a `spiece.model`.
/// The two agree on ordinary prompts; they differ where text spells a special token (`</s>`,
/// `<extra_id_5>`: Hugging Face gives the token, sentencepiece spells it out), on a few rare characters
/// (U+0085 is whitespace to Hugging Face only) and on some combining-mark clusters (see
/// `HFNormalizer.applyPrecompiled`).
public struct T5Tokenizer: Sendable {
    public enum Semantics: Sendable, Equatable {
        /// The Hugging Face `tokenizers` pipeline (transformers' T5Tokenizer / T5TokenizerFast).
        case huggingFace
        /// The sentencepiece library's `encode` (no added tokens, its own normalizer).
        case sentencePiece
    }

    enum Engine: Sendable {
        case huggingFace(HFUnigramPipeline)
        case sentencePiece(SentencePieceEncoder)
    }

    public let semantics: Semantics
    /// `<pad>` (0 for T5): fills `encode`'s output up to the length.
    public let padToken: Int
    /// `</s>` (1 for T5): ends every encoded sequence.
    public let endToken: Int
    /// `<unk>` (2 for T5).
    public let unknownToken: Int
    /// Number of ids (T5-XXL: 32100; its embedding has 32128 rows).
    public let vocabularySize: Int
    let engine: Engine
    /// Special ids put around the content by `encode` (T5: none before, `</s>` after).
    let prefix: [Int]
    let suffix: [Int]

    init(semantics: Semantics, engine: Engine, pad: Int, end: Int, unknown: Int, vocabularySize: Int,
         prefix: [Int], suffix: [Int]) {
        self.semantics = semantics
        self.engine = engine
        self.padToken = pad
        self.endToken = end
        self.unknownToken = unknown
        self.vocabularySize = vocabularySize
        self.prefix = prefix
        self.suffix = suffix
    }

    /// The content ids of `text`, without `</s>` or padding.
    public func tokenize(_ text: String) -> [Int] {
        switch engine {
        case .huggingFace(let pipeline): return pipeline.tokenize(text)
        case .sentencePiece(let encoder): return encoder.tokenize(text)
        }
    }

    /// The ids truncated to `length - 1`, then `</s>`, padded with `<pad>` to `length` (FLUX.1-dev: 512,
    /// schnell: 256), as `tokenizer(text, padding="max_length", max_length=length, truncation=True)`.
    public func encode(_ text: String, length: Int) -> [Int] {
        guard length > 0 else { return [] }
        let room = max(0, length - prefix.count - suffix.count)
        var ids = prefix + tokenize(text).prefix(room) + suffix
        if ids.count > length { ids.removeLast(ids.count - length) }
        ids += repeatElement(padToken, count: length - ids.count)
        return ids
    }
}
