/// SentencePiece's own normalizer (`normalizer::Normalizer::Normalize`), for tokenizing exactly as the
/// sentencepiece library does:
///   1. user-defined pieces are copied untouched (longest match first);
///   2. otherwise the longest key of the precompiled map that starts here is replaced (no key: the
///      character is copied);
///   3. with `remove_extra_whitespaces`, leading spaces are dropped, runs of spaces (after step 2, which
///      maps tabs, newlines, U+3000 … to a space in T5's "nmt_nfkc" rules) collapse to one, trailing
///      spaces are dropped;
///   4. with `add_dummy_prefix`, "▁" is put in front (at the end with `treat_whitespace_as_suffix`);
///   5. with `escape_whitespaces`, every space becomes "▁" (U+2581).
/// Only U+0020 counts as a space here; what the map turns into one is a space.
struct SentencePieceNormalizer: Sendable {
    let charsmap: PrecompiledCharsmap?
    let userDefined: ByteTrie?
    let addDummyPrefix: Bool
    let removeExtraWhitespaces: Bool
    let escapeWhitespaces: Bool
    let treatWhitespaceAsSuffix: Bool

    private static let spaceSymbol: [UInt8] = [0xE2, 0x96, 0x81]   // "▁"
    private static let space = UInt8(ascii: " ")

    /// The normalized UTF-8 text.
    func normalize(_ input: [UInt8]) -> [UInt8] {
        if input.isEmpty { return [] }
        return input.withUnsafeBufferPointer { text in
            var position = 0
            // Leading whitespace: rules that produce exactly one space.
            if removeExtraWhitespaces {
                while position < text.count {
                    let (replacement, consumed) = normalizePrefix(text, at: position)
                    guard replacement.count == 1 && replacement.first == Self.space else { break }
                    position += consumed
                }
            }
            if position == text.count { return [] }

            var out = [UInt8]()
            out.reserveCapacity(text.count * 3)
            let whitespace = escapeWhitespaces ? Self.spaceSymbol : [Self.space]
            if !treatWhitespaceAsSuffix && addDummyPrefix { out.append(contentsOf: whitespace) }

            var previousIsSpace = removeExtraWhitespaces
            while position < text.count {
                let (replacement, consumed) = normalizePrefix(text, at: position)
                var piece = replacement[...]
                // Drops the spaces this piece starts with when the text so far ends with one.
                while previousIsSpace && piece.first == Self.space { piece = piece.dropFirst() }
                if !piece.isEmpty {
                    for byte in piece {
                        if escapeWhitespaces && byte == Self.space {
                            out.append(contentsOf: Self.spaceSymbol)
                        } else {
                            out.append(byte)
                        }
                    }
                    previousIsSpace = piece.last == Self.space
                }
                position += consumed
                if !removeExtraWhitespaces { previousIsSpace = false }
            }

            if removeExtraWhitespaces {
                while out.count >= whitespace.count && Array(out.suffix(whitespace.count)) == whitespace {
                    out.removeLast(whitespace.count)
                }
            }
            if treatWhitespaceAsSuffix && addDummyPrefix { out.append(contentsOf: whitespace) }
            return out
        }
    }

    /// `NormalizePrefix`: what the text at `position` becomes, and how many input bytes that consumes.
    private func normalizePrefix(_ text: UnsafeBufferPointer<UInt8>, at position: Int) -> (ArraySlice<UInt8>, Int) {
        if let userDefined, let length = userDefined.longestPrefix(of: text, from: position, to: text.count) {
            return (ArraySlice(text[position..<(position + length)]), length)
        }
        if let charsmap, let match = charsmap.longestMatch(text, from: position, to: text.count) {
            return (match.replacement, match.length)
        }
        let length = min(UnicodeText.sequenceLength(text[position]), text.count - position)
        return (ArraySlice(text[position..<(position + length)]), length)
    }
}
