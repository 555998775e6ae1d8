import BantamJSON
import BantamTestSupport
import BantamTokenizers
import Testing

/// Token ids of the FLUX tiny fixtures' prompt corpus (Tests/Fixtures/flux-tiny/reference.json, written by
/// scripts/goldens/flux_tiny_goldens.py with transformers 5.23 / sentencepiece 0.2.3): unicode, punctuation,
/// tabs and newlines, a prompt longer than every limit, the empty prompt. Every tokenizer file form.
@Suite struct ReferenceIDTests {
    let reference: JSONObject
    let prompts: [String]

    init() throws {
        reference = try TokenizerFixtures.json(Fixtures.fluxTiny("reference.json"))
        prompts = try TokenizerFixtures.strings(reference, "prompts")
    }

    private func check(_ name: String, _ key: String, encode: (String) -> [Int]) throws {
        let expected = try TokenizerFixtures.idLists(reference, key)
        #expect(expected.count == prompts.count)
        for (prompt, ids) in zip(prompts, expected) {
            let got = encode(prompt)
            #expect(got == ids, "\(name) on \(TokenizerFixtures.show(prompt))")
        }
    }

    @Test func clipTinyVocabAndMerges() throws {
        let clip = try TokenizerFixtures.clipTiny()
        #expect(clip.startToken == 998 && clip.endToken == 999 && clip.vocabularySize == 1000)
        try check("vocab.json+merges.txt", "clip_ids") { clip.encode($0, length: 77) }
        try check("vocab.json+merges.txt", "clip_ids_fast") { clip.encode($0) }
    }

    @Test func clipTinyTokenizerJSON() throws {
        let clip = try TokenizerFixtures.clipTinyJSON()
        try check("diffusers tokenizer.json", "clip_ids_fast") { clip.encode($0, length: 77) }
        let loaded = try CLIPTokenizer.load(directory: Fixtures.fluxTiny("diffusers/tokenizer"))
        #expect(loaded.padToken == 999)
        try check("load(diffusers/tokenizer)", "clip_ids") { loaded.encode($0) }
        let folder = try CLIPTokenizer.load(directory: Fixtures.fluxTiny("tokenizers/clip"))
        try check("load(tokenizers/clip)", "clip_ids") { folder.encode($0) }
    }

    @Test func clipRealVocabularyFromMergesAlone() throws {
        let clip = try TokenizerFixtures.clipFull()
        #expect(clip.startToken == 49406 && clip.endToken == 49407 && clip.vocabularySize == 49408)
        try check("clip-full merges.txt", "clip_full_ids") { clip.encode($0) }
        let loaded = try CLIPTokenizer.load(directory: Fixtures.fluxTiny("tokenizers/clip-full"))
        try check("load(clip-full)", "clip_full_ids") { loaded.encode($0) }
    }

    /// The fixture's tokenizer.json holds only the specials, "▁" and the sentinels (transformers 5's
    /// T5TokenizerFast(vocab_file=…) ignored the vocabulary), so its ids are mostly "▁", <unk>: still a
    /// faithful run of the HF pipeline (WhitespaceSplit + Metaspace, unknown runs merged, no normalizer).
    @Test func t5FixtureTokenizerJSONAtEveryLength() throws {
        let t5 = try T5Tokenizer(tokenizerJSON: TokenizerFixtures.text(Fixtures.fluxTiny("tokenizers/t5/tokenizer.json")))
        let diffusers = try T5Tokenizer.load(directory: Fixtures.fluxTiny("diffusers/tokenizer_2"))
        for length in [32, 256, 512] {
            try check("t5 tokenizer.json", "t5_ids_\(length)") { t5.encode($0, length: length) }
            try check("load(diffusers/tokenizer_2)", "t5_ids_\(length)") { diffusers.encode($0, length: length) }
        }
    }

    @Test func t5SentencePieceLibrary() throws {
        let t5 = try T5Tokenizer(sentencePieceModel: TokenizerFixtures.t5Model(), semantics: .sentencePiece)
        #expect(t5.padToken == 0 && t5.endToken == 1 && t5.unknownToken == 2)
        try check("spiece.model (sentencepiece)", "t5_ids_spm_512") { t5.encode($0, length: 512) }
    }
}
