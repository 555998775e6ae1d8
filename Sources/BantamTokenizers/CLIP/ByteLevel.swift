/// GPT-2's reversible map from bytes to printable characters ("bytes_to_unicode"), which CLIP's BPE
/// vocabulary is written in: the printable bytes `!`…`~`, `¡`…`¬`, `®`…`ÿ` stand for themselves, the other
/// 68 bytes become U+0100, U+0101, … in byte order (so a space is "Ġ", a newline "Ċ").
enum ByteLevel {
    /// The character that stands for each byte.
    static let scalarForByte: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        var next: UInt32 = 256
        for byte in 0..<256 {
            let printable = (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte)
            if printable {
                table[byte] = Unicode.Scalar(UInt32(byte))!
            } else {
                table[byte] = Unicode.Scalar(next)!
                next += 1
            }
        }
        return table
    }()

    /// The 256 one-character symbols in the order OpenAI's simple_tokenizer lists them: the printable bytes
    /// in byte order, then the remapped ones (this order gives CLIP's vocabulary ids 0…255).
    static let symbolsInVocabularyOrder: [String] = {
        let printable = Array(0x21...0x7E) + Array(0xA1...0xAC) + Array(0xAE...0xFF)
        let others = (0..<256).filter { !printable.contains($0) }
        return (printable + others).map { String(Character(scalarForByte[$0])) }
    }()
}
