import BantamJSON

/// Builds the normalizer and pre-tokenizer steps of a tokenizer.json. Supported (what SentencePiece-based
/// tokenizer files use): normalizers `Sequence`, `Precompiled`, `Strip`, `Replace` (a literal, or a regex
/// that repeats a space or `\s`), `NFC`, `Lowercase`, `Prepend`; pre-tokenizers `Sequence`,
/// `WhitespaceSplit`, `Metaspace`. Anything else is refused with a message naming it.
struct HFComponents {
    let file: TokenizerJSON

    func normalizers(_ value: JSONValue?, at place: String) throws(TokenizerError) -> [HFNormalizer] {
        guard let value, value != .null else { return [] }
        guard let spec = value.objectValue, let type = spec["type"]?.stringValue else {
            throw file.missing(place, "an object with a type", "", value)
        }
        switch type {
        case "Sequence":
            var steps = [HFNormalizer]()
            for (i, item) in try file.array(spec, "normalizers", context: place).enumerated() {
                steps += try normalizers(item, at: "\(place).normalizers[\(i)]")
            }
            return steps
        case "Precompiled":
            guard let text = spec["precompiled_charsmap"]?.stringValue else { return [] }   // null: no rules
            guard let blob = Base64.decode(text) else {
                throw TokenizerError("\(file.what): \(place).precompiled_charsmap is not valid base64")
            }
            return [.precompiled(try PrecompiledCharsmap(blob))]
        case "Strip":
            return [.strip(left: try file.bool(spec, "strip_left", default: false, context: place),
                           right: try file.bool(spec, "strip_right", default: false, context: place))]
        case "Replace":
            let pattern = try file.object(spec, "pattern", context: place)
            let content = try file.string(spec, "content", context: place)
            if let literal = pattern["String"]?.stringValue { return [.replace(.literal(literal), content: content)] }
            if let regex = pattern["Regex"]?.stringValue {
                guard let parsed = ReplacePattern(regex: regex) else {
                    throw TokenizerError("\(file.what): \(place) uses the regex \(regex), which Bantam does not implement")
                }
                return [.replace(parsed, content: content)]
            }
            throw file.missing("pattern", "{\"String\": …} or {\"Regex\": …}", place, spec["pattern"])
        case "NFC": return [.nfc]
        case "Lowercase": return [.lowercase]
        case "Prepend": return [.prepend(try file.string(spec, "prepend", context: place))]
        default:
            throw TokenizerError("\(file.what): \(place) is a \(type) normalizer, which Bantam does not implement")
        }
    }

    func preTokenizers(_ value: JSONValue?, at place: String) throws(TokenizerError) -> [HFPreTokenizer] {
        guard let value, value != .null else { return [] }
        guard let spec = value.objectValue, let type = spec["type"]?.stringValue else {
            throw file.missing(place, "an object with a type", "", value)
        }
        switch type {
        case "Sequence":
            var steps = [HFPreTokenizer]()
            for (i, item) in try file.array(spec, "pretokenizers", context: place).enumerated() {
                steps += try preTokenizers(item, at: "\(place).pretokenizers[\(i)]")
            }
            return steps
        case "WhitespaceSplit":
            return [.whitespaceSplit]
        case "Metaspace":
            let replacement = try file.string(spec, "replacement", context: place)
            guard replacement.unicodeScalars.count == 1, let scalar = replacement.unicodeScalars.first else {
                throw TokenizerError("\(file.what): \(place).replacement must be one character")
            }
            var scheme: HFPreTokenizer.PrependScheme
            switch spec["prepend_scheme"]?.stringValue ?? "always" {
            case "always": scheme = .always
            case "first": scheme = .first
            case "never": scheme = .never
            case let other: throw TokenizerError("\(file.what): \(place).prepend_scheme \(other) is not always/first/never")
            }
            if try !file.bool(spec, "add_prefix_space", default: true, context: place) { scheme = .never }
            return [.metaspace(replacement: scalar, prependScheme: scheme,
                               split: try file.bool(spec, "split", default: true, context: place))]
        default:
            throw TokenizerError("\(file.what): \(place) is a \(type) pre-tokenizer, which Bantam does not implement")
        }
    }
}
