import BantamJSON

/// CLIP's byte-level BPE tokenizer (FLUX's first text encoder, CLIP-L), read from `vocab.json` +
/// `merges.txt`, a Hugging Face `tokenizer.json`, or `merges.txt` alone, giving the ids the Hugging Face
/// tokenizer gives (transformers' `CLIPTokenizer`, which diffusers' FluxPipeline uses).
///
/// Pipeline: `<|startoftext|>` / `<|endoftext|>` written in the prompt are cut out first and become their
/// ids (as in Hugging Face); the rest is normalized, split and BPE-encoded (`CLIPPreTokenizer`,
/// `BPEModel`). OpenAI's original tokenizer additionally runs ftfy and HTML unescaping; transformers 5
/// (the reference) does not, so neither does this.
public struct CLIPTokenizer: Sendable {
    /// `<|startoftext|>` (49406 for CLIP-L).
    public let startToken: Int
    /// `<|endoftext|>` (49407 for CLIP-L).
    public let endToken: Int
    /// Fills `encode`'s output after the end token: `<|endoftext|>` for CLIP-L / FLUX (some SD 2.x
    /// tokenizers pad with "!"; `load(directory:)` reads `pad_token` from tokenizer_config.json).
    public var padToken: Int
    /// Number of ids (CLIP-L: 49408).
    public let vocabularySize: Int
    let model: BPEModel
    let addedTokens: AddedTokenMatcher
    let vocabulary: [ExactKey: Int]

    init(model: BPEModel, vocabulary: [ExactKey: Int], addedTokens: [AddedToken], start: Int, end: Int,
         vocabularySize: Int) {
        self.model = model
        self.vocabulary = vocabulary
        self.addedTokens = AddedTokenMatcher(addedTokens)
        self.startToken = start
        self.endToken = end
        self.padToken = end
        self.vocabularySize = vocabularySize
    }

    /// The id of a vocabulary entry written as in vocab.json ("!", "a</w>", "<|endoftext|>"), if present.
    public func tokenID(_ token: String) -> Int? { vocabulary[ExactKey(token)] }

    /// The content ids of `text`, without the start and end tokens.
    public func tokenize(_ text: String) -> [Int] {
        var ids = [Int]()
        for segment in addedTokens.split(Array(text.utf8)) {
            switch segment {
            case .token(let id): ids.append(id)
            case .text(let bytes, _):
                for piece in CLIPPreTokenizer.pretokenize(String(decoding: bytes, as: UTF8.self)) {
                    for id in model.encode(piece) { ids.append(Int(id)) }
                }
            }
        }
        return ids
    }

    /// `[SOT] + ids (truncated to length - 2) + [EOT]`, padded with `padToken` to `length` (FLUX: 77), as
    /// `tokenizer(text, padding="max_length", max_length=length, truncation=True)`.
    public func encode(_ text: String, length: Int = 77) -> [Int] {
        guard length > 0 else { return [] }
        var ids = [startToken] + tokenize(text).prefix(max(0, length - 2)) + [endToken]
        if ids.count > length { ids.removeLast(ids.count - length) }
        ids += repeatElement(padToken, count: length - ids.count)
        return ids
    }
}
