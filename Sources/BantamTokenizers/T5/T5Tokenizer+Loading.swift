import BantamJSON

extension T5Tokenizer {
    /// From the bytes of a SentencePiece `spiece.model`.
    ///
    /// With `.huggingFace` semantics the model is converted the way transformers 5 does when a folder
    /// holds only `spiece.model`: the vocabulary plus `extraIDs` sentinels `<extra_id_N>` (ids 32000+ for
    /// T5, `<extra_id_0>` last), the precompiled map as the normalizer, WhitespaceSplit + Metaspace
    /// ("▁" before every word), control and unknown pieces and the sentinels as special tokens, `</s>`
    /// appended. With `.sentencePiece` it encodes as the sentencepiece library does (`extraIDs` unused).
    public init(sentencePieceModel bytes: [UInt8], semantics: Semantics = .huggingFace,
                extraIDs: Int = 100) throws {
        let model = try SentencePieceModel(bytes: bytes)
        guard model.modelType == 1 else {
            throw TokenizerError("the SentencePiece model is not a unigram model (type \(model.modelType)); T5 uses unigram")
        }
        guard !model.byteFallback else {
            throw TokenizerError("the SentencePiece model uses byte fallback, which Bantam's T5 tokenizer does not implement")
        }
        let charsmap = model.precompiledCharsmap.isEmpty ? nil : try PrecompiledCharsmap(model.precompiledCharsmap)
        let pieceIDs = Dictionary(model.pieces.enumerated().map { (ExactKey($1.text), $0) }, uniquingKeysWith: { a, _ in a })
        let end = pieceIDs[ExactKey("</s>")] ?? model.eosID
        let pad = pieceIDs[ExactKey("<pad>")] ?? max(model.padID, 0)

        switch semantics {
        case .sentencePiece:
            var userDefined = ByteTrie()
            var hasUserDefined = false
            let pieces = model.pieces.map { piece -> (text: String, score: Double, kind: UnigramModel.Kind, inLattice: Bool) in
                switch piece.type {
                case .normal: return (piece.text, Double(piece.score), .normal, true)
                case .userDefined:
                    userDefined.insert(Array(piece.text.utf8), value: 0)
                    hasUserDefined = true
                    return (piece.text, Double(piece.score), .userDefined, true)
                case .unused: return (piece.text, Double(piece.score), .unused, true)
                case .unknown, .control, .byte: return (piece.text, Double(piece.score), .normal, false)
                }
            }
            let normalizer = SentencePieceNormalizer(
                charsmap: charsmap, userDefined: hasUserDefined ? userDefined : nil,
                addDummyPrefix: model.addDummyPrefix, removeExtraWhitespaces: model.removeExtraWhitespaces,
                escapeWhitespaces: model.escapeWhitespaces, treatWhitespaceAsSuffix: model.treatWhitespaceAsSuffix)
            let encoder = SentencePieceEncoder(normalizer: normalizer,
                                               model: UnigramModel(pieces: pieces, unknownID: model.unkID, flavor: .sentencePiece))
            self.init(semantics: .sentencePiece, engine: .sentencePiece(encoder), pad: pad, end: end,
                      unknown: model.unkID, vocabularySize: model.pieces.count, prefix: [], suffix: [end])

        case .huggingFace:
            var pieces = model.pieces.map { (text: $0.text, score: Double($0.score), kind: UnigramModel.Kind.normal, inLattice: true) }
            var added = [AddedToken]()
            for (id, piece) in model.pieces.enumerated() {
                switch piece.type {
                case .control, .unknown: added.append(AddedToken(content: piece.text, id: id, special: true))
                case .userDefined: added.append(AddedToken(content: piece.text, id: id, special: false))
                default: break
                }
            }
            for n in stride(from: extraIDs - 1, through: 0, by: -1) {
                added.append(AddedToken(content: "<extra_id_\(n)>", id: pieces.count, special: true))
                pieces.append((text: "<extra_id_\(n)>", score: 0, kind: .normal, inLattice: true))
            }
            let pipeline = HFUnigramPipeline(
                addedTokens: AddedTokenMatcher(added), normalizedAddedTokens: AddedTokenMatcher([]),
                normalizers: charsmap.map { [.precompiled($0)] } ?? [],
                preTokenizers: [.whitespaceSplit, .metaspace(replacement: "▁", prependScheme: .always, split: true)],
                model: UnigramModel(pieces: pieces, unknownID: model.unkID, flavor: .huggingFace))
            self.init(semantics: .huggingFace, engine: .huggingFace(pipeline), pad: pad, end: end,
                      unknown: model.unkID, vocabularySize: pieces.count, prefix: [], suffix: [end])
        }
    }

    /// From the text of a Hugging Face `tokenizer.json` with a Unigram model (FLUX's `tokenizer_2/`,
    /// ComfyUI's `t5_tokenizer/`): its normalizers, pre-tokenizers, added tokens and post-processor are
    /// followed as written (the supported kinds are listed in `HFComponents`).
    public init(tokenizerJSON text: String) throws {
        let file = try TokenizerJSON(text, what: "the T5 tokenizer.json")
        let modelJSON = try file.model(type: "Unigram")
        guard try !file.bool(modelJSON, "byte_fallback", default: false, context: "model") else {
            throw TokenizerError("the T5 tokenizer.json uses byte fallback, which Bantam's T5 tokenizer does not implement")
        }
        var pieces = [(text: String, score: Double, kind: UnigramModel.Kind, inLattice: Bool)]()
        for (i, entry) in try file.array(modelJSON, "vocab", context: "model").enumerated() {
            guard let pair = entry.arrayValue, pair.count == 2, let piece = pair[0].stringValue,
                  let score = pair[1].doubleValue else {
                throw TokenizerError("the T5 tokenizer.json: model.vocab[\(i)] must be [piece, score], found \(entry.brief)")
            }
            pieces.append((piece, score, .normal, true))
        }
        guard let unk = modelJSON["unk_id"]?.integerValue, pieces.indices.contains(unk) else {
            throw TokenizerError("the T5 tokenizer.json: model.unk_id must name a vocabulary entry")
        }
        let added = try file.addedTokens()
        for token in added where token.id >= pieces.count {
            throw TokenizerError("the T5 tokenizer.json: added token \(token.content) has id \(token.id), beyond the \(pieces.count)-entry vocabulary")
        }
        let components = HFComponents(file: file)
        let pipeline = HFUnigramPipeline(
            addedTokens: AddedTokenMatcher(added.filter { !$0.normalized }),
            normalizedAddedTokens: AddedTokenMatcher(added.filter { $0.normalized }),
            normalizers: try components.normalizers(file.root["normalizer"], at: "normalizer"),
            preTokenizers: try components.preTokenizers(file.root["pre_tokenizer"], at: "pre_tokenizer"),
            model: UnigramModel(pieces: pieces, unknownID: unk, flavor: .huggingFace))
        func id(_ content: String) -> Int? {
            added.first { $0.content == content }?.id ?? pieces.firstIndex { $0.text == content }
        }
        let specials = try file.templateSpecials() ?? (prefix: [], suffix: [])
        self.init(semantics: .huggingFace, engine: .huggingFace(pipeline), pad: id("<pad>") ?? 0,
                  end: specials.suffix.last ?? id("</s>") ?? 1, unknown: unk, vocabularySize: pieces.count,
                  prefix: specials.prefix, suffix: specials.suffix)
    }

    /// From a tokenizer folder (diffusers `tokenizer_2/`, ComfyUI `t5_tokenizer/`): its `tokenizer.json`
    /// when there is one (what transformers loads), else its `spiece.model`.
    public static func load(directory: String) throws -> T5Tokenizer {
        let json = FileBytes.join(directory, "tokenizer.json")
        if FileBytes.isFile(json) { return try T5Tokenizer(tokenizerJSON: try FileBytes.text(at: json)) }
        let model = FileBytes.join(directory, "spiece.model")
        if FileBytes.isFile(model) { return try T5Tokenizer(sentencePieceModel: try FileBytes.bytes(at: model)) }
        guard FileBytes.isDirectory(directory) else {
            throw TokenizerError("\(directory) is not a folder; pass the folder that holds tokenizer.json or spiece.model")
        }
        throw TokenizerError("\(directory) has neither tokenizer.json nor spiece.model; pass the T5 tokenizer folder (diffusers: tokenizer_2/)")
    }
}
