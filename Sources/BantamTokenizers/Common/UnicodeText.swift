/// The Unicode facts the tokenizer pipelines need, from the Swift standard library's own tables (no
/// Foundation, no ICU). Hugging Face's pipelines use the same definitions in Rust (`char::is_whitespace`,
/// `char::to_lowercase`, the `unicode-normalization` crate) and Oniguruma (`\s`, `\p{L}`, `\p{N}`), so the
/// results agree except for characters assigned in a Unicode version one side does not know yet.
enum UnicodeText {
    /// Canonical composition (NFC) through the standard library's `String._nfcCodeUnits` (public since
    /// Swift 5.x, used by swift-foundation; FoundationEssentials has no `precomposedStringWithCanonicalMapping`).
    /// ASCII text is already NFC and is returned as is.
    static func nfc(_ text: String) -> String {
        if text.utf8.allSatisfy({ $0 < 0x80 }) { return text }
        return String(decoding: text._nfcCodeUnits, as: UTF8.self)
    }

    /// The White_Space property: Rust's `char::is_whitespace` and Oniguruma's Unicode `\s` (tab, LF, VT, FF,
    /// CR, space, U+0085, U+00A0, U+1680, U+2000–U+200A, U+2028, U+2029, U+202F, U+205F, U+3000).
    @inline(__always)
    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.value < 0x80 { return scalar.value == 0x20 || (scalar.value >= 0x09 && scalar.value <= 0x0D) }
        return scalar.properties.isWhitespace
    }

    /// `\p{L}`: general category Lu, Ll, Lt, Lm or Lo.
    @inline(__always)
    static func isLetter(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        if v < 0x80 { return (v | 0x20) >= 0x61 && (v | 0x20) <= 0x7A }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
        default: return false
        }
    }

    /// `\p{N}`: general category Nd, Nl or No.
    @inline(__always)
    static func isNumber(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        if v < 0x80 { return v >= 0x30 && v <= 0x39 }
        switch scalar.properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber: return true
        default: return false
        }
    }

    /// Rust regex's Unicode `\w`: Alphabetic, marks, decimal numbers, connector punctuation, Join_Control.
    static func isWordCharacter(_ scalar: Unicode.Scalar) -> Bool {
        let p = scalar.properties
        if p.isAlphabetic || p.isJoinControl { return true }
        switch p.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation: return true
        default: return false
        }
    }

    /// Appends the full lowercase mapping of one scalar, without context (Rust's `char::to_lowercase`, which
    /// Hugging Face's Lowercase normalizer applies character by character: "Σ" always becomes "σ",
    /// "İ" becomes "i̇").
    @inline(__always)
    static func appendLowercase(_ scalar: Unicode.Scalar, to out: inout [Unicode.Scalar]) {
        let v = scalar.value
        if v < 0x80 {
            out.append(v >= 0x41 && v <= 0x5A ? Unicode.Scalar(UInt8(v + 0x20)) : scalar)
            return
        }
        let properties = scalar.properties
        if !properties.changesWhenLowercased {
            out.append(scalar)
            return
        }
        out.append(contentsOf: properties.lowercaseMapping.unicodeScalars)
    }

    /// Appends the UTF-8 encoding of one scalar.
    @inline(__always)
    static func appendUTF8(_ scalar: Unicode.Scalar, to out: inout [UInt8]) {
        let v = scalar.value
        switch v {
        case 0..<0x80:
            out.append(UInt8(v))
        case 0x80..<0x800:
            out.append(UInt8(0xC0 | (v >> 6)))
            out.append(UInt8(0x80 | (v & 0x3F)))
        case 0x800..<0x10000:
            out.append(UInt8(0xE0 | (v >> 12)))
            out.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (v & 0x3F)))
        default:
            out.append(UInt8(0xF0 | (v >> 18)))
            out.append(UInt8(0x80 | ((v >> 12) & 0x3F)))
            out.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (v & 0x3F)))
        }
    }

    /// The length in bytes of the UTF-8 sequence that starts with `lead` (1 for a stray continuation byte,
    /// which valid text never has).
    @inline(__always)
    static func sequenceLength(_ lead: UInt8) -> Int {
        switch lead {
        case 0xF0...: return 4
        case 0xE0...: return 3
        case 0xC0...: return 2
        default: return 1
        }
    }
}
