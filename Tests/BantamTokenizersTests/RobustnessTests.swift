import BantamTestSupport
import BantamTokenizers
import Testing

/// Random text through every tokenizer (never a crash, ids in range, `encode` shape and truncation),
/// corrupt model files (an error or a working tokenizer, never a crash), and concurrent use.
@Suite struct RobustnessTests {
    /// Random text mixing ASCII, whitespace of every kind, combining marks, CJK, emoji, special-token
    /// spellings and arbitrary scalars from all planes (unassigned ones included).
    static func randomText(_ rng: inout TestRNG, maxPieces: Int = 40) -> String {
        let pieces = ["a", "B", " ", "  ", "\t", "\n", "\r\n", "\u{3000}", "\u{a0}", "\u{85}", "'s", "'", "1", "23",
                      "\u{301}", "\u{308}", "é", "e\u{301}", "東京", "ｶﾞ", "Ａ", "ﬁ", "🌃", "👩‍🚀", "<|endoftext|>",
                      "<extra_id_5>", "</s>", "<pad>", "▁", "\u{0}", "\u{7f}", "İ", "Σ", "&amp;", "!?"]
        var text = ""
        for _ in 0..<Int(rng.next() % UInt64(maxPieces + 1)) {
            if rng.next() % 3 == 0 {
                let value = UInt32(rng.next() % 0x11_0000)
                if let scalar = Unicode.Scalar(value) { text.unicodeScalars.append(scalar) }
            } else {
                text += pieces[Int(rng.next() % UInt64(pieces.count))]
            }
        }
        return text
    }

    @Test func randomTextEveryTokenizer() throws {
        var rng = TestRNG()
        let seed = rng.seed
        let clips = [try TokenizerFixtures.clipTiny(), try TokenizerFixtures.clipFull()]
        let model4k = try TokenizerFixtures.bytes(TokenizerFixtures.local + "/unigram-4k/spiece.model")
        let t5s = [try T5Tokenizer(sentencePieceModel: TokenizerFixtures.t5Model()),
                   try T5Tokenizer(sentencePieceModel: model4k), try T5Tokenizer(sentencePieceModel: model4k, semantics: .sentencePiece),
                   try T5Tokenizer(sentencePieceModel: TokenizerFixtures.t5Model(), semantics: .sentencePiece),
                   try T5Tokenizer(tokenizerJSON: TokenizerFixtures.t5FluxFormatJSON())]
        for _ in 0..<300 {
            let text = Self.randomText(&rng)
            let length = [1, 2, 3, 7, 17, 77, 129][Int(rng.next() % 7)]
            for clip in clips {
                let content = clip.tokenize(text)
                #expect(content.allSatisfy { (0..<clip.vocabularySize).contains($0) }, "seed \(seed)")
                let ids = clip.encode(text, length: length)
                let expected = [clip.startToken] + content.prefix(max(0, length - 2)) + [clip.endToken]
                #expect(ids == Array(TokenizerFixtures.padded(expected, to: length, with: clip.padToken).prefix(length)),
                        "seed \(seed): \(TokenizerFixtures.show(text)) at length \(length)")
                #expect(clip.tokenize(text) == content, "seed \(seed): not deterministic")
            }
            for t5 in t5s {
                let content = t5.tokenize(text)
                #expect(content.allSatisfy { (0..<t5.vocabularySize).contains($0) }, "seed \(seed)")
                let ids = t5.encode(text, length: length)
                let expected = content.prefix(length - 1) + [t5.endToken]
                #expect(ids == TokenizerFixtures.padded(Array(expected), to: length, with: t5.padToken),
                        "seed \(seed): \(TokenizerFixtures.show(text)) at length \(length)")
            }
        }
    }

    @Test func encodeEdges() throws {
        let clip = try TokenizerFixtures.clipFull()
        #expect(clip.encode("", length: 2) == [49406, 49407])
        #expect(clip.encode("a photo", length: 3) == [49406, 320, 49407])
        #expect(clip.encode("a photo", length: 1) == [49406])
        #expect(clip.encode("a photo", length: 0) == [])
        let t5 = try T5Tokenizer(sentencePieceModel: TokenizerFixtures.t5Model())
        #expect(t5.encode("a photo", length: 1) == [1])
        #expect(t5.encode("", length: 3) == [1, 0, 0])
        #expect(t5.encode("a", length: 0) == [])
    }

    /// Every prefix of spiece.model that is cut inside a field, and random byte changes, must throw a
    /// TokenizerError or give a tokenizer that works; never crash.
    @Test func corruptSentencePieceModels() throws {
        var rng = TestRNG()
        let seed = rng.seed
        let model = try TokenizerFixtures.t5Model()
        var loaded = 0, refused = 0
        for _ in 0..<150 {
            var bytes = model
            if rng.next() % 2 == 0 {
                bytes.removeLast(Int(rng.next() % UInt64(bytes.count)))
            } else {
                for _ in 0..<(1 + rng.next() % 8) {
                    bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next())
                }
            }
            for semantics in [T5Tokenizer.Semantics.huggingFace, .sentencePiece] {
                do {
                    let t5 = try T5Tokenizer(sentencePieceModel: bytes, semantics: semantics)
                    loaded += 1
                    for _ in 0..<3 {
                        let ids = t5.encode(Self.randomText(&rng, maxPieces: 12), length: 64)
                        #expect(ids.count == 64, "seed \(seed)")
                    }
                } catch let error as TokenizerError {
                    refused += 1
                    #expect(!error.message.isEmpty && !error.message.contains("\n"), "seed \(seed)")
                }
            }
        }
        #expect(loaded > 0 && refused > 0, "seed \(seed): \(loaded) loaded, \(refused) refused")
        #expect(throws: TokenizerError.self) { try T5Tokenizer(sentencePieceModel: []) }
        #expect(throws: TokenizerError.self) { try T5Tokenizer(sentencePieceModel: Array("not a model".utf8)) }
    }

    /// The word caches are shared between threads: concurrent tokenization gives the serial result.
    @Test func concurrentUse() async throws {
        let corpus = try TokenizerFixtures.json(TokenizerFixtures.local + "/tokenizer_corpus.json")
        let prompts = try TokenizerFixtures.strings(corpus, "prompts")
        let clip = try TokenizerFixtures.clipFull()
        let t5 = try T5Tokenizer(sentencePieceModel: TokenizerFixtures.t5Model())
        let fresh = (try TokenizerFixtures.clipFull(), try T5Tokenizer(sentencePieceModel: TokenizerFixtures.t5Model()))
        let serial = prompts.map { (fresh.0.encode($0), fresh.1.encode($0, length: 512)) }
        let results = await withTaskGroup(of: [(Int, [Int], [Int])].self) { group in
            for worker in 0..<8 {
                group.addTask {
                    var out = [(Int, [Int], [Int])]()
                    for i in stride(from: worker % 3, to: prompts.count, by: 1 + worker % 2) {
                        out.append((i, clip.encode(prompts[i]), t5.encode(prompts[i], length: 512)))
                    }
                    return out
                }
            }
            var all = [(Int, [Int], [Int])]()
            for await result in group { all += result }
            return all
        }
        for (i, c, t) in results {
            #expect(c == serial[i].0 && t == serial[i].1, "prompt \(i)")
        }
        for (i, prompt) in prompts.enumerated() {
            #expect(clip.encode(prompt) == serial[i].0 && t5.encode(prompt, length: 512) == serial[i].1, "prompt \(i)")
        }
    }
}
