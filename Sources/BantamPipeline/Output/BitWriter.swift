/// Bits written least-significant first into bytes, as DEFLATE (RFC 1951 §3.1.1) packs them.
struct BitWriter {
    private(set) var bytes: [UInt8] = []
    /// Pending bits, lowest first; `count` of them are valid.
    private var buffer: UInt64 = 0
    private var count = 0

    init(capacity: Int) { bytes.reserveCapacity(capacity) }

    /// Appends the low `width` bits of `value` (width ≤ 32), lowest bit first.
    @inline(__always) mutating func write(_ value: UInt32, width: Int) {
        buffer |= UInt64(value) << UInt64(count)
        count += width
        while count >= 8 {
            bytes.append(UInt8(truncatingIfNeeded: buffer))
            buffer >>= 8
            count -= 8
        }
    }

    /// Pads with zero bits to the next byte boundary.
    mutating func alignToByte() {
        if count > 0 { write(0, width: 8 - count) }
    }

    /// Appends whole bytes (the writer must be byte-aligned).
    mutating func append<C: Collection>(bytes more: C) where C.Element == UInt8 {
        precondition(count == 0, "BitWriter: bytes appended at a bit position")
        bytes.append(contentsOf: more)
    }

    /// The output so far, with the last partial byte padded by zeros.
    mutating func finish() -> [UInt8] {
        alignToByte()
        return bytes
    }
}
