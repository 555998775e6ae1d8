import BantamJSON
import BantamTestSupport
import BantamTokenizers
import Testing

/// ~300 generated prompts (scripts/goldens/tokenizer_goldens.py → Fixtures/tokenizer_corpus.json): many
/// scripts, emoji and ZWJ sequences, NFC/NFD pairs, full-width and compatibility characters, every kind of
/// whitespace, digits, contractions, special-token text inside prompts, control characters, 2000-character
/// prompts. Every id must equal the reference library's.
@Suite struct CorpusIDTests {
    let corpus: JSONObject
    let prompts: [String]

    init() throws {
        corpus = try TokenizerFixtures.json(TokenizerFixtures.local + "/tokenizer_corpus.json")
        prompts = try TokenizerFixtures.strings(corpus, "prompts")
    }

    /// Compares `encode` with the golden ids (a nil row falls back to `fallback`'s row).
    private func check(_ name: String, _ key: String, fallback: String? = nil, length: Int, pad: Int,
                       encode: (String) -> [Int]) throws {
        let rows = try TokenizerFixtures.idLists(corpus, key)
        let base = try fallback.map { try TokenizerFixtures.idLists(corpus, $0) }
        #expect(rows.count == prompts.count && prompts.count >= 250)
        var mismatches = 0
        for (i, prompt) in prompts.enumerated() {
            let ids = try #require(rows[i] ?? base?[i] ?? nil, "\(key)[\(i)] missing")
            let got = encode(prompt)
            if got != TokenizerFixtures.padded(ids, to: length, with: pad) {
                mismatches += 1
                let shown = Array(got.prefix(ids.count + 2))
                Issue.record("\(name) #\(i) \(TokenizerFixtures.show(prompt)):\n  got      \(shown.prefix(40))\n  expected \(ids.prefix(40))")
            }
        }
        #expect(mismatches == 0, "\(name): \(mismatches) of \(prompts.count) prompts differ")
    }

    @Test func clipTiny() throws {
        let clip = try TokenizerFixtures.clipTiny()
        try check("CLIP vocab.json+merges.txt", "clip", length: 77, pad: 999) { clip.encode($0) }
        let json = try TokenizerFixtures.clipTinyJSON()
        try check("CLIP tokenizer.json", "clip", length: 77, pad: 999) { json.encode($0) }
    }

    @Test func clipRealVocabulary() throws {
        let clip = try TokenizerFixtures.clipFull()
        try check("CLIP-L from merges.txt", "clip_full", length: 77, pad: 49407) { clip.encode($0) }
    }

    @Test func t5FromSentencePieceModelLikeTransformers() throws {
        let t5 = try T5Tokenizer(sentencePieceModel: TokenizerFixtures.t5Model())
        #expect(t5.vocabularySize == 1000 && t5.semantics == .huggingFace)
        try check("T5 spiece.model (HF)", "t5", length: 512, pad: 0) { t5.encode($0, length: 512) }
    }

    @Test func t5FluxFormatTokenizerJSON() throws {
        let t5 = try T5Tokenizer(tokenizerJSON: TokenizerFixtures.t5FluxFormatJSON())
        try check("T5 FLUX-format tokenizer.json", "t5_flux", fallback: "t5", length: 512, pad: 0) { t5.encode($0, length: 512) }
    }

    /// A 4000-piece word-level model (many competing segmentations; no normalization rules, so only
    /// U+0020 is a space to sentencepiece while Hugging Face's WhitespaceSplit cuts at every White_Space).
    @Test func unigram4k() throws {
        let model = try TokenizerFixtures.bytes(TokenizerFixtures.local + "/unigram-4k/spiece.model")
        let hf = try T5Tokenizer(sentencePieceModel: model)
        #expect(hf.vocabularySize == 4100)
        try check("unigram-4k (HF)", "t5_4k", length: 512, pad: 0) { hf.encode($0, length: 512) }
        let sp = try T5Tokenizer(sentencePieceModel: model, semantics: .sentencePiece)
        try check("unigram-4k (sentencepiece)", "t5_4k_spm", fallback: "t5_4k", length: 512, pad: 0) { sp.encode($0, length: 512) }
    }

    @Test func t5SentencePieceLibrary() throws {
        let t5 = try T5Tokenizer(sentencePieceModel: TokenizerFixtures.t5Model(), semantics: .sentencePiece)
        try check("T5 spiece.model (sentencepiece)", "t5_spm", fallback: "t5", length: 512, pad: 0) { t5.encode($0, length: 512) }
    }
}
