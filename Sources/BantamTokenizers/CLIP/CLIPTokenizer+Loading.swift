import BantamJSON

extension CLIPTokenizer {
    /// The number of merges in CLIP's vocabulary (49408 = 256 + 256 + 48894 + 2); a longer merges list
    /// (OpenAI's raw `bpe_simple_vocab_16e6.txt`) is cut there, as OpenAI's simple_tokenizer does.
    public static let clipMergeCount = 48894

    /// From the contents of `vocab.json` (token → id) and `merges.txt`.
    public init(vocabJSON: String, merges: String) throws {
        let file = try TokenizerJSON(vocabJSON, what: "vocab.json")
        var vocabulary = [ExactKey: Int](minimumCapacity: file.root.count)
        for (token, value) in file.root.entries {
            guard let id = value.integerValue, id >= 0 else {
                throw TokenizerError("vocab.json: the id of \(token) must be a non-negative integer, found \(value.brief)")
            }
            vocabulary[ExactKey(token)] = id
        }
        try self.init(vocabulary: vocabulary, merges: try Self.parseMerges(merges), unknown: "<|endoftext|>", added: nil)
    }

    /// From the text of a Hugging Face `tokenizer.json` with a BPE model (FLUX's `tokenizer/`).
    public init(tokenizerJSON: String) throws {
        let file = try TokenizerJSON(tokenizerJSON, what: "the CLIP tokenizer.json")
        let model = try file.model(type: "BPE")
        let suffix = model["end_of_word_suffix"]?.stringValue
        guard suffix == "</w>" else {
            throw TokenizerError("the CLIP tokenizer.json: model.end_of_word_suffix is \(suffix ?? "missing"), CLIP's is </w>; is this a CLIP tokenizer?")
        }
        try Self.checkPipeline(file)
        var vocabulary = [ExactKey: Int]()
        for (token, value) in try file.object(model, "vocab", context: "model").entries {
            guard let id = value.integerValue, id >= 0 else {
                throw TokenizerError("the CLIP tokenizer.json: model.vocab[\(token)] must be a non-negative integer")
            }
            vocabulary[ExactKey(token)] = id
        }
        var merges = [(String, String)]()
        for (i, item) in try file.array(model, "merges", context: "model").enumerated() {
            if let line = item.stringValue, let pair = Self.mergePair(line.utf8) {
                merges.append(pair)
            } else if let pair = item.arrayValue, pair.count == 2, let a = pair[0].stringValue, let b = pair[1].stringValue {
                merges.append((a, b))
            } else {
                throw TokenizerError("the CLIP tokenizer.json: model.merges[\(i)] must be \"a b\" or [a, b], found \(item.brief)")
            }
        }
        try self.init(vocabulary: vocabulary, merges: merges, unknown: model["unk_token"]?.stringValue,
                      added: try file.addedTokens())
    }

    /// From `merges.txt` alone (single-file CLIP checkpoints ship no vocabulary): the vocabulary is built as
    /// OpenAI's simple_tokenizer builds it — the 256 byte symbols, the same with `</w>`, one token per merge
    /// (at most `clipMergeCount`), then `<|startoftext|>` and `<|endoftext|>`.
    public init(merges: String) throws {
        let pairs = Array(try Self.parseMerges(merges).prefix(Self.clipMergeCount))
        var tokens = ByteLevel.symbolsInVocabularyOrder
        tokens += ByteLevel.symbolsInVocabularyOrder.map { $0 + "</w>" }
        tokens += pairs.map { $0.0 + $0.1 }
        tokens += ["<|startoftext|>", "<|endoftext|>"]
        var vocabulary = [ExactKey: Int](minimumCapacity: tokens.count)
        for (id, token) in tokens.enumerated() { vocabulary[ExactKey(token)] = id }
        try self.init(vocabulary: vocabulary, merges: pairs, unknown: "<|endoftext|>", added: nil)
    }

    /// From a tokenizer folder: `tokenizer.json` when present (what transformers loads), else `vocab.json`
    /// + `merges.txt`, else `merges.txt` alone. A `tokenizer_config.json` `pad_token` that names a vocabulary
    /// entry sets `padToken` (as transformers does: SD 3's CLIP-G pads with "!", id 0).
    public static func load(directory: String) throws -> CLIPTokenizer {
        let path = { (name: String) in FileBytes.join(directory, name) }
        var tokenizer: CLIPTokenizer
        if FileBytes.isFile(path("tokenizer.json")) {
            tokenizer = try CLIPTokenizer(tokenizerJSON: try FileBytes.text(at: path("tokenizer.json")))
        } else if FileBytes.isFile(path("merges.txt")) {
            let merges = try FileBytes.text(at: path("merges.txt"))
            if FileBytes.isFile(path("vocab.json")) {
                tokenizer = try CLIPTokenizer(vocabJSON: try FileBytes.text(at: path("vocab.json")), merges: merges)
            } else {
                tokenizer = try CLIPTokenizer(merges: merges)
            }
        } else if !FileBytes.isDirectory(directory) {
            throw TokenizerError("\(directory) is not a folder; pass the folder that holds the CLIP tokenizer files")
        } else {
            throw TokenizerError("\(directory) has no tokenizer.json or merges.txt; pass the CLIP tokenizer folder (diffusers: tokenizer/)")
        }
        if FileBytes.isFile(path("tokenizer_config.json")),
           let config = try? TokenizerJSON(try FileBytes.text(at: path("tokenizer_config.json")), what: "tokenizer_config.json"),
           let pad = config.root["pad_token"]?.stringValue ?? config.root["pad_token"]?.objectValue?["content"]?.stringValue,
           let id = tokenizer.tokenID(pad) {
            tokenizer.padToken = id
        }
        return tokenizer
    }

    // MARK: shared

    private init(vocabulary: [ExactKey: Int], merges: [(String, String)], unknown: String?, added: [AddedToken]?)
        throws(TokenizerError) {
        guard let start = added?.first(where: { $0.content == "<|startoftext|>" })?.id ?? vocabulary[ExactKey("<|startoftext|>")],
              let end = added?.first(where: { $0.content == "<|endoftext|>" })?.id ?? vocabulary[ExactKey("<|endoftext|>")] else {
            throw TokenizerError("the CLIP vocabulary has no <|startoftext|> / <|endoftext|> tokens; is this a CLIP tokenizer?")
        }
        let unknownID = unknown.flatMap { vocabulary[ExactKey($0)] }
        let model = try BPEModel(vocabulary: vocabulary, mergeList: merges, unknownID: unknownID)
        let specials = added ?? [AddedToken(content: "<|startoftext|>", id: start), AddedToken(content: "<|endoftext|>", id: end)]
        let size = max(vocabulary.values.max() ?? -1, specials.map(\.id).max() ?? -1) + 1
        var entries = vocabulary
        for token in specials { entries[ExactKey(token.content)] = token.id }
        self.init(model: model, vocabulary: entries, addedTokens: specials.filter { !$0.normalized }, start: start,
                  end: end, vocabularySize: size)
    }

    /// merges.txt: one "left right" pair per line; a `#version` first line and empty lines are skipped.
    /// Split on bytes, not Characters (a Character can be "\r\n" or a space with a combining mark).
    static func parseMerges(_ text: String) throws(TokenizerError) -> [(String, String)] {
        var merges = [(String, String)]()
        for (number, rawLine) in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            var line = rawLine[...]
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            if line.isEmpty || (number == 0 && line.starts(with: "#version".utf8)) { continue }
            guard let pair = mergePair(line) else {
                throw TokenizerError("merges.txt line \(number + 1) must be two tokens separated by a space, found \"\(String(decoding: line.prefix(60), as: UTF8.self))\"")
            }
            merges.append(pair)
        }
        return merges
    }

    private static func mergePair<C: Collection>(_ line: C) -> (String, String)? where C.Element == UInt8 {
        let parts = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
        return (String(decoding: parts[0], as: UTF8.self), String(decoding: parts[1], as: UTF8.self))
    }

    /// The tokenizer.json's normalizer and pre-tokenizer must be CLIP's (this type implements exactly that
    /// pipeline; see `CLIPPreTokenizer`): NFC / Replace / Lowercase, Split / ByteLevel.
    private static func checkPipeline(_ file: TokenizerJSON) throws(TokenizerError) {
        func types(_ value: JSONValue?, list: String) -> [String] {
            guard let object = value?.objectValue, let type = object["type"]?.stringValue else { return [] }
            if type == "Sequence" { return (object[list]?.arrayValue ?? []).flatMap { types($0, list: list) } }
            return [type]
        }
        let normalizers = types(file.root["normalizer"], list: "normalizers")
        let preTokenizers = types(file.root["pre_tokenizer"], list: "pretokenizers")
        guard normalizers.contains("Lowercase"), Set(normalizers).isSubset(of: ["NFC", "Replace", "Lowercase"]),
              Set(preTokenizers).isSubset(of: ["Split", "ByteLevel"]), preTokenizers.contains("ByteLevel") else {
            throw TokenizerError("the CLIP tokenizer.json has normalizers \(normalizers) and pre-tokenizers \(preTokenizers); Bantam implements CLIP's (NFC, Replace, Lowercase; Split, ByteLevel)")
        }
    }
}
