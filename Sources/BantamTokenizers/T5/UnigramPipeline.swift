/// Hugging Face's tokenization of text with a unigram model: added tokens are cut out of the raw text,
/// each remaining segment is normalized, pre-tokenized into words, and every word is segmented by the
/// model (tokenizers' `Tokenizer::encode` without its offsets bookkeeping).
struct HFUnigramPipeline: Sendable {
    let addedTokens: AddedTokenMatcher
    /// Added tokens marked `normalized`: matched in the normalized text instead.
    let normalizedAddedTokens: AddedTokenMatcher
    let normalizers: [HFNormalizer]
    let preTokenizers: [HFPreTokenizer]
    let model: UnigramModel

    func tokenize(_ text: String) -> [Int] {
        var ids = [Int]()
        for segment in addedTokens.split(Array(text.utf8)) {
            guard case .text(let bytes, let start) = segment else {
                if case .token(let id) = segment { ids.append(id) }
                continue
            }
            var normalized = String(decoding: bytes, as: UTF8.self)
            for normalizer in normalizers { normalized = normalizer.apply(normalized) }
            for piece in normalizedAddedTokens.split(Array(normalized.utf8)) {
                switch piece {
                case .token(let id): ids.append(id)
                case .text(let pieceBytes, let pieceStart):
                    var words = [PreToken(scalars: Array(String(decoding: pieceBytes, as: UTF8.self).unicodeScalars),
                                          atStart: start == 0 && pieceStart == 0)]
                    for preTokenizer in preTokenizers { words = preTokenizer.apply(words) }
                    for word in words {
                        var utf8 = [UInt8]()
                        for scalar in word.scalars { UnicodeText.appendUTF8(scalar, to: &utf8) }
                        ids.append(contentsOf: model.encode(utf8))
                    }
                }
            }
        }
        return ids
    }
}

/// The sentencepiece library's tokenization: its own normalizer over the whole text, then the unigram
/// model over the whole normalized string (no pre-tokenizer, no added tokens).
struct SentencePieceEncoder: Sendable {
    let normalizer: SentencePieceNormalizer
    let model: UnigramModel

    func tokenize(_ text: String) -> [Int] {
        model.encode(normalizer.normalize(Array(text.utf8)))
    }
}
