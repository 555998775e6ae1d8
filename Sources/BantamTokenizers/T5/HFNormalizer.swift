/// The Hugging Face `tokenizers` normalizers that SentencePiece-derived tokenizer.json files use, applied
/// to one segment of text (the text between added tokens).
enum HFNormalizer: Sendable {
    /// SentencePiece's compiled rules, applied the way `tokenizers` does (see `applyPrecompiled`).
    case precompiled(PrecompiledCharsmap)
    /// Removes White_Space characters at the start and/or end.
    case strip(left: Bool, right: Bool)
    /// Replaces every match of a (small) pattern with `content`.
    case replace(ReplacePattern, content: String)
    case nfc
    case lowercase
    /// Puts `content` in front of non-empty text.
    case prepend(String)

    func apply(_ text: String) -> String {
        switch self {
        case .precompiled(let charsmap): return Self.applyPrecompiled(charsmap, text)
        case .strip(let left, let right):
            var scalars = text.unicodeScalars[...]
            if left { while let first = scalars.first, UnicodeText.isWhitespace(first) { scalars.removeFirst() } }
            if right { while let last = scalars.last, UnicodeText.isWhitespace(last) { scalars.removeLast() } }
            return String(scalars)
        case .replace(let pattern, let content): return pattern.replaceAll(in: text, with: content)
        case .nfc: return UnicodeText.nfc(text)
        case .lowercase:
            var out = [Unicode.Scalar]()
            for scalar in text.unicodeScalars { UnicodeText.appendLowercase(scalar, to: &out) }
            return String(String.UnicodeScalarView(out))
        case .prepend(let content): return text.isEmpty ? text : content + text
        }
    }

    /// `tokenizers`' Precompiled normalizer, quirks included (its source calls them weird, and they are
    /// what makes it agree with SentencePiece on XNLI): the text is walked by extended grapheme cluster;
    /// a cluster shorter than 6 bytes that *starts with* a key of the map is replaced whole by the
    /// shortest such key's replacement (so "Ａ" + U+0301 becomes "A": the accent goes); otherwise each of
    /// its characters is looked up alone. SentencePiece itself would take the longest key instead.
    static func applyPrecompiled(_ charsmap: PrecompiledCharsmap, _ text: String) -> String {
        var out = [UInt8]()
        out.reserveCapacity(text.utf8.count + 8)
        var cluster = [UInt8]()
        for character in text {
            cluster.removeAll(keepingCapacity: true)
            cluster.append(contentsOf: character.utf8)
            let replaced: Bool = cluster.withUnsafeBufferPointer { bytes in
                if bytes.count < 6, let replacement = charsmap.firstMatch(bytes, from: 0, to: bytes.count) {
                    out.append(contentsOf: replacement)
                    return true
                }
                return false
            }
            if replaced { continue }
            cluster.withUnsafeBufferPointer { bytes in
                var i = 0
                while i < bytes.count {
                    let length = min(UnicodeText.sequenceLength(bytes[i]), bytes.count - i)
                    if let replacement = charsmap.firstMatch(bytes, from: i, to: i + length) {
                        out.append(contentsOf: replacement)
                    } else {
                        out.append(contentsOf: bytes[i..<(i + length)])
                    }
                    i += length
                }
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// The `Replace` patterns found in SentencePiece-derived tokenizer.json files: a literal string, or a
/// regex that is one character class repeated (`" {2,}"`, `" +"`, `"\s+"`, `"\s{2,}"`). Other regexes
/// are refused when the file is loaded, with a message, rather than approximated.
enum ReplacePattern: Sendable, Equatable {
    case literal(String)
    /// Runs of at least `minimum` characters that are U+0020 (`whitespace` false) or White_Space (true).
    case run(whitespace: Bool, minimum: Int)

    init?(regex: String) {
        var rest = Substring(regex)
        let whitespace: Bool
        if rest.hasPrefix(" ") { whitespace = false; rest = rest.dropFirst() }
        else if rest.hasPrefix("\\s") { whitespace = true; rest = rest.dropFirst(2) }
        else { return nil }
        if rest == "+" { self = .run(whitespace: whitespace, minimum: 1); return }
        if rest.isEmpty {
            // A single character replaced one by one: only the plain space is supported.
            guard !whitespace else { return nil }
            self = .literal(" ")
            return
        }
        guard rest.hasPrefix("{"), rest.hasSuffix(",}"), let n = Int(rest.dropFirst().dropLast(2)), n >= 1 else {
            return nil
        }
        self = .run(whitespace: whitespace, minimum: n)
    }

    func replaceAll(in text: String, with content: String) -> String {
        switch self {
        case .literal(let needle):
            let n = Array(needle.unicodeScalars)
            if n.isEmpty { return text }
            let scalars = Array(text.unicodeScalars)
            var out = String.UnicodeScalarView()
            var i = 0
            while i < scalars.count {
                if i + n.count <= scalars.count && scalars[i..<(i + n.count)].elementsEqual(n) {
                    out.append(contentsOf: content.unicodeScalars)
                    i += n.count
                } else {
                    out.append(scalars[i])
                    i += 1
                }
            }
            return String(out)
        case .run(let whitespace, let minimum):
            let scalars = Array(text.unicodeScalars)
            var out = String.UnicodeScalarView()
            var i = 0
            while i < scalars.count {
                var j = i
                while j < scalars.count && (whitespace ? UnicodeText.isWhitespace(scalars[j]) : scalars[j] == " ") { j += 1 }
                if j - i >= minimum {
                    out.append(contentsOf: content.unicodeScalars)
                    i = j
                } else if j > i {
                    out.append(contentsOf: scalars[i..<j])
                    i = j
                } else {
                    out.append(scalars[i])
                    i += 1
                }
            }
            return String(out)
        }
    }
}
