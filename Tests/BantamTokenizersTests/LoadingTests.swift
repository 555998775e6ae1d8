import BantamTestSupport
import BantamTokenizers
import Foundation
import Testing

/// Tokenizer folders, and files that are not what they should be: each such load fails with one line
/// that says what is wrong.
@Suite struct LoadingTests {
    private func message(_ body: () throws -> Any) -> String {
        do {
            _ = try body()
            return "(no error)"
        } catch let error as TokenizerError {
            #expect(!error.message.contains("\n"))
            return error.message
        } catch {
            return "(not a TokenizerError: \(error))"
        }
    }

    @Test func missingFolders() {
        #expect(message { try CLIPTokenizer.load(directory: "/nonexistent/tokenizer") }.contains("is not a folder"))
        #expect(message { try T5Tokenizer.load(directory: "/nonexistent/tokenizer_2") }.contains("is not a folder"))
        // A folder with other files: the T5 loader names what it looked for.
        #expect(message { try T5Tokenizer.load(directory: Fixtures.fluxTiny("bfl")) }.contains("neither tokenizer.json nor spiece.model"))
        #expect(message { try CLIPTokenizer.load(directory: Fixtures.fluxTiny("bfl")) }.contains("no tokenizer.json or merges.txt"))
    }

    @Test func clipFiles() throws {
        let vocab = try TokenizerFixtures.text(Fixtures.fluxTiny("tokenizers/clip/vocab.json"))
        #expect(message { try CLIPTokenizer(vocabJSON: vocab, merges: "#version: 0.2\nzz qq\n") }.contains("not in the vocabulary"))
        #expect(message { try CLIPTokenizer(vocabJSON: vocab, merges: "#version: 0.2\na b c\n") }.contains("line 2"))
        #expect(message { try CLIPTokenizer(vocabJSON: "{\"a\": 0}", merges: "") }.contains("<|startoftext|>"))
        #expect(message { try CLIPTokenizer(vocabJSON: "[1, 2]", merges: "") }.contains("not a JSON object"))
        #expect(message { try CLIPTokenizer(vocabJSON: "{", merges: "") }.contains("not valid JSON"))
        // A T5 tokenizer.json given as CLIP's.
        let t5JSON = try TokenizerFixtures.text(Fixtures.fluxTiny("tokenizers/t5/tokenizer.json"))
        #expect(message { try CLIPTokenizer(tokenizerJSON: t5JSON) }.contains("Unigram model, expected BPE"))
        // A CLIP file whose pipeline is not CLIP's.
        let clipJSON = try TokenizerFixtures.text(Fixtures.fluxTiny("diffusers/tokenizer/tokenizer.json"))
        let edited = clipJSON.replacingOccurrences(of: "\"Lowercase\"", with: "\"NFKD\"")
        #expect(edited != clipJSON)
        #expect(message { try CLIPTokenizer(tokenizerJSON: edited) }.contains("Bantam implements CLIP's"))
    }

    @Test func t5Files() throws {
        let clipJSON = try TokenizerFixtures.text(Fixtures.fluxTiny("diffusers/tokenizer/tokenizer.json"))
        #expect(message { try T5Tokenizer(tokenizerJSON: clipJSON) }.contains("BPE model, expected Unigram"))
        let flux = try TokenizerFixtures.t5FluxFormatJSON()
        let nfkd = flux.replacingOccurrences(of: "\"type\":\"Strip\"", with: "\"type\":\"NFKD\"")
        #expect(nfkd != flux)
        #expect(message { try T5Tokenizer(tokenizerJSON: nfkd) }.contains("NFKD normalizer"))
        let regex = flux.replacingOccurrences(of: "\" {2,}\"", with: "\"[ab]+\"")
        #expect(regex != flux)
        #expect(message { try T5Tokenizer(tokenizerJSON: regex) }.contains("regex [ab]+"))
        let badCharsmap = flux.replacingOccurrences(of: "\"precompiled_charsmap\":\"", with: "\"precompiled_charsmap\":\"!")
        #expect(message { try T5Tokenizer(tokenizerJSON: badCharsmap) }.contains("not valid base64"))
        #expect(message { try T5Tokenizer(sentencePieceModel: []) }.contains("no pieces"))
    }

    /// A folder's tokenizer_config.json `pad_token` picks the padding id by vocabulary lookup, as
    /// transformers does (SD 3's CLIP-G pads with "!", which is id 0, not the tokenization of "!").
    @Test func clipPadTokenFromConfig() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bantam-clip-\(UInt64.random(in: 0...UInt64.max))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for name in ["vocab.json", "merges.txt"] {
            try FileManager.default.copyItem(atPath: Fixtures.fluxTiny("tokenizers/clip/" + name),
                                             toPath: folder.appendingPathComponent(name).path)
        }
        try Data("{\"pad_token\": \"!\"}".utf8).write(to: folder.appendingPathComponent("tokenizer_config.json"))
        let clip = try CLIPTokenizer.load(directory: folder.path)
        #expect(clip.tokenID("!") == 0 && clip.tokenID("!</w>") == 256 && clip.tokenID("<|endoftext|>") == 999)
        #expect(clip.padToken == 0)
        #expect(clip.encode("a", length: 5) == [998, 320, 999, 0, 0])
        #expect(try CLIPTokenizer.load(directory: Fixtures.fluxTiny("tokenizers/clip")).padToken == 999)
    }
}
