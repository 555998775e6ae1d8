/// The two checksums a PNG file needs: CRC-32 over each chunk (ISO 3309 / ITU-T V.42, the one zlib's
/// `crc32` computes) and Adler-32 at the end of the zlib stream (RFC 1950).
public enum Checksums {
    /// Table of the reflected CRC-32 polynomial 0xEDB88320, one entry per byte value.
    private static let crcTable: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    /// CRC-32 of `bytes`, continuing from `crc` (pass the previous result to checksum data in pieces).
    public static func crc32<C: Collection>(_ bytes: C, continuing crc: UInt32 = 0) -> UInt32 where C.Element == UInt8 {
        var c = ~crc
        crcTable.withUnsafeBufferPointer { table in
            for b in bytes { c = table[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        }
        return ~c
    }

    /// Adler-32 of `bytes` (starts at 1).
    public static func adler32(_ bytes: [UInt8]) -> UInt32 {
        let modulus: UInt32 = 65521
        var a: UInt32 = 1, b: UInt32 = 0
        bytes.withUnsafeBufferPointer { p in
            var i = 0
            // 5552 is the most bytes that can be summed before b could overflow 32 bits (zlib's NMAX).
            while i < p.count {
                let end = min(i + 5552, p.count)
                while i < end {
                    a &+= UInt32(p[i])
                    b &+= a
                    i += 1
                }
                a %= modulus
                b %= modulus
            }
        }
        return b << 16 | a
    }
}
