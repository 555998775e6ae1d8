/// A token matched as literal text before any normalization (Hugging Face's "added tokens": `<|endoftext|>`,
/// `</s>`, `<extra_id_5>`), so that a prompt containing the text of a special token gets that token's id,
/// as the Hugging Face tokenizers do.
public struct AddedToken: Sendable, Equatable {
    public var content: String
    public var id: Int
    /// Whether the token is special (control tokens); non-special added tokens are matched the same way.
    public var special: Bool
    /// Matched in the normalized text instead of the raw text (none of the CLIP/T5 tokens are).
    public var normalized: Bool
    /// Also swallows the whitespace before (`lstrip`) or after (`rstrip`) the match.
    public var lstrip: Bool
    public var rstrip: Bool
    /// Only matches when not glued to word characters on either side.
    public var singleWord: Bool

    public init(content: String, id: Int, special: Bool = true, normalized: Bool = false,
                lstrip: Bool = false, rstrip: Bool = false, singleWord: Bool = false) {
        self.content = content
        self.id = id
        self.special = special
        self.normalized = normalized
        self.lstrip = lstrip
        self.rstrip = rstrip
        self.singleWord = singleWord
    }
}

/// One piece of a prompt after the added tokens are cut out: a token id, or a run of text (UTF-8 bytes)
/// that still has to go through the pipeline; `start` is its byte offset in the text that was split.
enum TextSegment: Equatable {
    case token(Int)
    case text([UInt8], start: Int)
}

/// Finds added tokens in text the way Hugging Face's `AddedVocabulary` does: leftmost match first, the
/// longest token at that position, non-overlapping, then the `lstrip`/`rstrip`/`singleWord` rules.
struct AddedTokenMatcher: Sendable {
    private struct Pattern: Sendable {
        let bytes: [UInt8]
        let token: AddedToken
    }
    /// Patterns by first byte; the longest first within each list.
    private let byFirstByte: [[Pattern]]
    let isEmpty: Bool

    init(_ tokens: [AddedToken]) {
        var table = [[Pattern]](repeating: [], count: 256)
        for token in tokens where !token.content.isEmpty {
            let bytes = Array(token.content.utf8)
            table[Int(bytes[0])].append(Pattern(bytes: bytes, token: token))
        }
        for i in 0..<256 { table[i].sort { $0.bytes.count > $1.bytes.count } }
        byFirstByte = table
        isEmpty = tokens.allSatisfy { $0.content.isEmpty }
    }

    /// Splits `text` into added tokens and the text between them (empty runs are dropped, as in HF).
    func split(_ text: [UInt8], offset: Int = 0) -> [TextSegment] {
        if isEmpty || text.isEmpty { return text.isEmpty ? [] : [.text(text, start: offset)] }
        var segments = [TextSegment]()
        var textStart = 0   // start of the text not yet emitted
        var i = 0
        while i < text.count {
            guard let pattern = longestMatch(in: text, at: i) else { i += 1; continue }
            var start = i
            var stop = i + pattern.bytes.count
            if pattern.token.singleWord && !isStandalone(text, start: start, stop: stop) {
                i = stop   // HF iterates non-overlapping matches: a rejected one is skipped whole
                continue
            }
            if pattern.token.lstrip { start = max(textStart, Self.whitespaceRunStart(text, before: start)) }
            if pattern.token.rstrip { stop = Self.whitespaceRunEnd(text, from: stop) }
            if textStart < start { segments.append(.text(Array(text[textStart..<start]), start: offset + textStart)) }
            segments.append(.token(pattern.token.id))
            textStart = stop
            i = stop
        }
        if textStart < text.count { segments.append(.text(Array(text[textStart...]), start: offset + textStart)) }
        return segments
    }

    private func longestMatch(in text: [UInt8], at i: Int) -> Pattern? {
        let candidates = byFirstByte[Int(text[i])]
        if candidates.isEmpty { return nil }
        for pattern in candidates where i + pattern.bytes.count <= text.count {
            var k = 1
            while k < pattern.bytes.count && text[i + k] == pattern.bytes[k] { k += 1 }
            if k == pattern.bytes.count { return pattern }
        }
        return nil
    }

    /// `singleWord`: no word character (regex `\w`) right before `start` or right after `stop`.
    private func isStandalone(_ text: [UInt8], start: Int, stop: Int) -> Bool {
        let before = String(decoding: text[..<start], as: UTF8.self).unicodeScalars.last
        let after = String(decoding: text[stop...], as: UTF8.self).unicodeScalars.first
        return !(before.map(UnicodeText.isWordCharacter) ?? false) && !(after.map(UnicodeText.isWordCharacter) ?? false)
    }

    /// The start of the whitespace run that ends at `end`.
    private static func whitespaceRunStart(_ text: [UInt8], before end: Int) -> Int {
        let scalars = Array(String(decoding: text[..<end], as: UTF8.self).unicodeScalars)
        var start = end
        for scalar in scalars.reversed() {
            guard UnicodeText.isWhitespace(scalar) else { break }
            start -= String(scalar).utf8.count
        }
        return start
    }

    /// The end of the whitespace run that starts at `start`.
    private static func whitespaceRunEnd(_ text: [UInt8], from start: Int) -> Int {
        var end = start
        for scalar in String(decoding: text[start...], as: UTF8.self).unicodeScalars {
            guard UnicodeText.isWhitespace(scalar) else { break }
            end += String(scalar).utf8.count
        }
        return end
    }
}
