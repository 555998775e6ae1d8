/// The text side of the Hugging Face CLIP tokenizer (tokenizer.json of openai/clip-vit-large-patch14 and
/// FLUX's `tokenizer/`), for one segment of text between added tokens:
///   normalizer     NFC, then every run of White_Space (`\s+`) → one space, then lowercase;
///   pre-tokenizer  Split on CLIP's pattern, keeping the matches (whitespace is dropped):
///                    <\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+
///                  then ByteLevel (no prefix space) with GPT-2's pattern, which only splits further the
///                  two special-token spellings ("<|endoftext|>" → "<|", "endoftext", "|>").
/// Both patterns are matched by hand here (alternatives tried in order at each position, as a
/// backtracking engine does); the result is each pre-token's UTF-8 bytes.
enum CLIPPreTokenizer {
    private static let specialSpellings: [[Unicode.Scalar]] = ["<|startoftext|>", "<|endoftext|>"].map { Array($0.unicodeScalars) }

    static func pretokenize(_ text: String) -> [[UInt8]] {
        let scalars = normalize(text)
        var pieces = [[UInt8]]()
        var i = 0
        while i < scalars.count {
            if scalars[i] == " " { i += 1; continue }
            let end = clipMatchEnd(scalars, at: i)
            // GPT-2's split inside the CLIP piece (it never crosses a CLIP piece boundary).
            var j = i
            while j < end {
                let k = gpt2MatchEnd(scalars, at: j, limit: end)
                var bytes = [UInt8]()
                for scalar in scalars[j..<k] { UnicodeText.appendUTF8(scalar, to: &bytes) }
                pieces.append(bytes)
                j = k
            }
            i = end
        }
        return pieces
    }

    /// NFC, whitespace runs → " ", lowercase (the order of the tokenizer.json normalizer sequence).
    static func normalize(_ text: String) -> [Unicode.Scalar] {
        var out = [Unicode.Scalar]()
        out.reserveCapacity(text.utf8.count)
        var inWhitespace = false
        for scalar in UnicodeText.nfc(text).unicodeScalars {
            if UnicodeText.isWhitespace(scalar) {
                if !inWhitespace { out.append(" ") }
                inWhitespace = true
            } else {
                inWhitespace = false
                UnicodeText.appendLowercase(scalar, to: &out)
            }
        }
        return out
    }

    /// The end of CLIP's pattern match starting at `i` (text at `i` is not whitespace).
    private static func clipMatchEnd(_ s: [Unicode.Scalar], at i: Int) -> Int {
        for spelling in specialSpellings where s.count - i >= spelling.count && s[i..<(i + spelling.count)].elementsEqual(spelling) {
            return i + spelling.count
        }
        if let end = contractionEnd(s, at: i) { return end }
        if UnicodeText.isLetter(s[i]) { return run(s, from: i, limit: s.count, UnicodeText.isLetter) }
        if UnicodeText.isNumber(s[i]) { return i + 1 }
        return run(s, from: i, limit: s.count, isOther)
    }

    /// GPT-2's pattern (`'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`) on text
    /// without whitespace, stopping at `limit`.
    private static func gpt2MatchEnd(_ s: [Unicode.Scalar], at i: Int, limit: Int) -> Int {
        if let end = contractionEnd(s, at: i), end <= limit { return end }
        if UnicodeText.isLetter(s[i]) { return run(s, from: i, limit: limit, UnicodeText.isLetter) }
        if UnicodeText.isNumber(s[i]) { return run(s, from: i, limit: limit, UnicodeText.isNumber) }
        return run(s, from: i, limit: limit, isOther)
    }

    /// `'s|'t|'re|'ve|'m|'ll|'d` at `i` (lowercase only: the text is already lowercased).
    private static func contractionEnd(_ s: [Unicode.Scalar], at i: Int) -> Int? {
        guard s[i] == "'", i + 1 < s.count else { return nil }
        switch s[i + 1] {
        case "s", "t", "m", "d": return i + 2
        case "r", "v":
            return i + 2 < s.count && s[i + 2] == "e" ? i + 3 : nil
        case "l":
            return i + 2 < s.count && s[i + 2] == "l" ? i + 3 : nil
        default: return nil
        }
    }

    /// `[^\s\p{L}\p{N}]`
    private static func isOther(_ scalar: Unicode.Scalar) -> Bool {
        !UnicodeText.isWhitespace(scalar) && !UnicodeText.isLetter(scalar) && !UnicodeText.isNumber(scalar)
    }

    private static func run(_ s: [Unicode.Scalar], from i: Int, limit: Int, _ belongs: (Unicode.Scalar) -> Bool) -> Int {
        var j = i + 1
        while j < limit && belongs(s[j]) { j += 1 }
        return j
    }
}
