/// SentencePiece's compiled normalization rules (`NormalizerSpec.precompiled_charsmap`; the base64
/// `precompiled_charsmap` of a tokenizer.json "Precompiled" normalizer): a darts-clone trie whose keys are
/// UTF-8 strings and whose values are offsets into a block of NUL-terminated replacement strings.
///
/// Blob layout: u32 little-endian byte size of the trie, the trie's 32-bit units, then the replacements.
///
/// The two libraries read it differently, and both readings are here:
///   - SentencePiece replaces the *longest* key that starts at the current position (`longestMatch`);
///   - Hugging Face's `Precompiled` normalizer takes the *first (shortest)* key that is a prefix of a whole
///     grapheme cluster or character (`firstMatch`) and replaces the whole cluster with it (see
///     `HFNormalizer.precompiled`).
struct PrecompiledCharsmap: Sendable {
    let trie: DoubleArrayTrie
    /// The replacement strings, each ending with a NUL byte.
    let replacements: [UInt8]

    init(_ blob: [UInt8]) throws(TokenizerError) {
        guard blob.count > 4 else { throw Self.corrupt("it is only \(blob.count) bytes") }
        let trieSize = Int(UInt32(blob[0]) | UInt32(blob[1]) << 8 | UInt32(blob[2]) << 16 | UInt32(blob[3]) << 24)
        guard trieSize <= blob.count - 4, trieSize % 4 == 0 else {
            throw Self.corrupt("its trie size \(trieSize) does not fit in \(blob.count) bytes")
        }
        var units = [UInt32](repeating: 0, count: trieSize / 4)
        for k in 0..<units.count {
            let p = 4 + 4 * k
            units[k] = UInt32(blob[p]) | UInt32(blob[p + 1]) << 8 | UInt32(blob[p + 2]) << 16 | UInt32(blob[p + 3]) << 24
        }
        trie = DoubleArrayTrie(units: units)
        replacements = Array(blob[(4 + trieSize)...])
    }

    /// The replacement string stored at `offset` (up to its NUL).
    func replacement(at offset: Int) -> ArraySlice<UInt8> {
        guard offset >= 0 && offset < replacements.count else { return [] }
        var end = offset
        while end < replacements.count && replacements[end] != 0 { end += 1 }
        return replacements[offset..<end]
    }

    /// SentencePiece's rule: the longest key starting at `start` (searching up to `end`), as the number of
    /// bytes it covers and its replacement.
    func longestMatch(_ text: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> (length: Int, replacement: ArraySlice<UInt8>)? {
        var best: (Int, Int)? = nil
        trie.forEachPrefix(of: text, from: start, to: end) { length, value in
            best = (length, value)
            return true
        }
        guard let (length, value) = best else { return nil }
        return (length, replacement(at: value))
    }

    /// Hugging Face's rule: the replacement of the shortest key that is a prefix of `text[start..<end]`.
    func firstMatch(_ text: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> ArraySlice<UInt8>? {
        var found: Int? = nil
        trie.forEachPrefix(of: text, from: start, to: end) { _, value in
            found = value
            return false
        }
        return found.map { replacement(at: $0) }
    }

    private static func corrupt(_ why: String) -> TokenizerError {
        TokenizerError("the precompiled normalization map is corrupt: \(why)")
    }
}
