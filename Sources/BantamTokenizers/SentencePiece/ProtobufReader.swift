import BantamJSON

/// Reads the protobuf wire format (the encoding of a SentencePiece `.model` file) field by field, with
/// every length checked against the buffer: a truncated or corrupt file is an error, never a crash.
///
/// Wire types: 0 varint, 1 fixed 64-bit, 2 length-delimited (strings, bytes, sub-messages, packed
/// arrays), 5 fixed 32-bit. Groups (3, 4) are long deprecated and rejected.
struct ProtobufReader {
    private let bytes: [UInt8]
    private(set) var position: Int
    private let end: Int

    init(_ bytes: [UInt8], range: Range<Int>? = nil) {
        self.bytes = bytes
        position = range?.lowerBound ?? 0
        end = range?.upperBound ?? bytes.count
    }

    var isAtEnd: Bool { position >= end }

    /// The next field's number and wire type, or nil at the end of the message.
    mutating func nextField() throws(TokenizerError) -> (number: Int, wireType: Int)? {
        if isAtEnd { return nil }
        let key = try varint()
        let number = Int(key >> 3)
        guard number > 0 else { throw corrupt("field number 0") }
        return (number, Int(key & 7))
    }

    mutating func varint() throws(TokenizerError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < end else { throw corrupt("a varint runs past the end") }
            let byte = bytes[position]
            position += 1
            guard shift < 64 else { throw corrupt("a varint is longer than 10 bytes") }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
    }

    /// A varint field holding a proto `int32` (negative values are sign-extended to 10 bytes).
    mutating func int32() throws(TokenizerError) -> Int {
        Int(Int32(truncatingIfNeeded: try varint()))
    }

    mutating func bool() throws(TokenizerError) -> Bool { try varint() != 0 }

    mutating func fixed32() throws(TokenizerError) -> UInt32 {
        guard end - position >= 4 else { throw corrupt("a 32-bit field runs past the end") }
        var value: UInt32 = 0
        for k in 0..<4 { value |= UInt32(bytes[position + k]) << (8 * k) }
        position += 4
        return value
    }

    mutating func float() throws(TokenizerError) -> Float { Float(bitPattern: try fixed32()) }

    /// The byte range of a length-delimited field's payload (the reader moves past it).
    mutating func lengthDelimited() throws(TokenizerError) -> Range<Int> {
        let length = try varint()
        guard length <= UInt64(end - position) else { throw corrupt("a field of \(length) bytes runs past the end") }
        let range = position..<(position + Int(length))
        position = range.upperBound
        return range
    }

    mutating func string() throws(TokenizerError) -> String {
        let range = try lengthDelimited()
        let invalid = bytes.withUnsafeBufferPointer { UTF8Validation.firstInvalidOffset(UnsafeBufferPointer(rebasing: $0[range])) }
        if invalid != nil { throw corrupt("a string field is not valid UTF-8") }
        return String(decoding: bytes[range], as: UTF8.self)
    }

    mutating func skip(wireType: Int) throws(TokenizerError) {
        switch wireType {
        case 0: _ = try varint()
        case 1:
            guard end - position >= 8 else { throw corrupt("a 64-bit field runs past the end") }
            position += 8
        case 2: _ = try lengthDelimited()
        case 5: _ = try fixed32()
        default: throw corrupt("unsupported wire type \(wireType)")
        }
    }

    /// Checks a field's wire type before reading it.
    func expect(_ wireType: Int, _ expected: Int, field: String) throws(TokenizerError) {
        guard wireType == expected else { throw corrupt("\(field) has wire type \(wireType), expected \(expected)") }
    }

    private func corrupt(_ what: String) -> TokenizerError {
        TokenizerError("not a valid SentencePiece model: \(what) (at byte \(position)); is the file a spiece.model?")
    }
}
