import BantamJSON

/// Reading a Hugging Face `tokenizer.json` (the `tokenizers` library's serialization): typed access to
/// its members with errors that name the member, and the parts every tokenizer shares (added tokens,
/// the post-processor's special tokens).
struct TokenizerJSON {
    let root: JSONObject
    /// What the file should be, for messages ("a CLIP tokenizer.json").
    let what: String

    init(_ text: String, what: String) throws(TokenizerError) {
        self.what = what
        let value: JSONValue
        do {
            value = try JSONParser.parse(text)
        } catch {
            throw TokenizerError("\(what) is not valid JSON: \(error)")
        }
        guard let root = value.objectValue else { throw TokenizerError("\(what) is not a JSON object") }
        self.root = root
    }

    func object(_ object: JSONObject, _ key: String, context: String) throws(TokenizerError) -> JSONObject {
        guard let value = object[key]?.objectValue else { throw missing(key, "an object", context, object[key]) }
        return value
    }

    func string(_ object: JSONObject, _ key: String, context: String) throws(TokenizerError) -> String {
        guard let value = object[key]?.stringValue else { throw missing(key, "a string", context, object[key]) }
        return value
    }

    func array(_ object: JSONObject, _ key: String, context: String) throws(TokenizerError) -> [JSONValue] {
        guard let value = object[key]?.arrayValue else { throw missing(key, "an array", context, object[key]) }
        return value
    }

    /// An optional boolean member (absent or null: `default`).
    func bool(_ object: JSONObject, _ key: String, default value: Bool, context: String) throws(TokenizerError) -> Bool {
        switch object[key] {
        case nil, .null?: return value
        case .bool(let b)?: return b
        case let other?: throw missing(key, "a boolean", context, other)
        }
    }

    /// The `model` object, checked to be of `type`.
    func model(type expected: String) throws(TokenizerError) -> JSONObject {
        let model = try object(root, "model", context: "")
        let type = model["type"]?.stringValue ?? "?"
        guard type == expected else {
            throw TokenizerError("\(what) has a \(type) model, expected \(expected); is this the right tokenizer file?")
        }
        return model
    }

    /// `added_tokens`: tokens matched as literal text before normalization.
    func addedTokens() throws(TokenizerError) -> [AddedToken] {
        guard let list = root["added_tokens"], list != .null else { return [] }
        guard let items = list.arrayValue else { throw missing("added_tokens", "an array", "", list) }
        var tokens = [AddedToken]()
        for (i, item) in items.enumerated() {
            let context = "added_tokens[\(i)]"
            guard let entry = item.objectValue else { throw missing(context, "an object", "", item) }
            guard let id = entry["id"]?.integerValue, id >= 0 else { throw missing("id", "a token id", context, entry["id"]) }
            tokens.append(AddedToken(
                content: try string(entry, "content", context: context), id: id,
                special: try bool(entry, "special", default: false, context: context),
                normalized: try bool(entry, "normalized", default: true, context: context),
                lstrip: try bool(entry, "lstrip", default: false, context: context),
                rstrip: try bool(entry, "rstrip", default: false, context: context),
                singleWord: try bool(entry, "single_word", default: false, context: context)))
        }
        return tokens
    }

    /// The ids a `TemplateProcessing` post-processor puts before and after a single sequence
    /// (T5: none before, `</s>` after); nil when there is no template post-processor.
    func templateSpecials() throws(TokenizerError) -> (prefix: [Int], suffix: [Int])? {
        guard let processor = root["post_processor"]?.objectValue,
              processor["type"]?.stringValue == "TemplateProcessing" else { return nil }
        let context = "post_processor"
        let specials = try object(processor, "special_tokens", context: context)
        var prefix = [Int](), suffix = [Int]()
        var seenSequence = false
        for item in try array(processor, "single", context: context) {
            guard let piece = item.objectValue else { continue }
            if piece["Sequence"] != nil { seenSequence = true; continue }
            guard let special = piece["SpecialToken"]?.objectValue,
                  let name = special["id"]?.stringValue else { continue }
            guard let entry = specials[name]?.objectValue, let ids = entry["ids"]?.arrayValue else {
                throw TokenizerError("\(what): post_processor names special token \(name) without its ids")
            }
            let values = ids.compactMap(\.integerValue)
            if seenSequence { suffix += values } else { prefix += values }
        }
        return (prefix, suffix)
    }

    func missing(_ key: String, _ kind: String, _ context: String, _ found: JSONValue?) -> TokenizerError {
        let place = context.isEmpty ? key : context + "." + key
        let seen = found.map { "found \($0.typeName)" } ?? "it is missing"
        return TokenizerError("\(what): \(place) must be \(kind), \(seen)")
    }
}
