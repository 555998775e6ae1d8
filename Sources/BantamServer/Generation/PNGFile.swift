/// PNG bytes for the server's images and previews.
///
/// Until BantamPipeline's `PNGEncoder` (filtered rows, real DEFLATE) is in main, this writes valid but
/// uncompressed PNGs: the zlib stream holds "stored" DEFLATE blocks. Text chunks are tEXt for Latin-1,
/// iTXt (UTF-8) otherwise — what A1111's "PNG Info" reads.
public enum PNGFile {
    public static func encode(_ image: RGBImage, text: [PNGText] = []) -> [UInt8] {
        var out: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        chunk("IHDR", be32(UInt32(image.width)) + be32(UInt32(image.height)) + [8, 2, 0, 0, 0], into: &out)
        for t in text {
            let key = Array(t.keyword.utf8)
            guard (1...79).contains(key.count), key.allSatisfy({ (0x21...0x7E).contains($0) }) else { continue }
            if t.text.unicodeScalars.allSatisfy({ $0.value < 256 && $0.value != 0 }) {
                chunk("tEXt", key + [0] + t.text.unicodeScalars.map { UInt8($0.value) }, into: &out)
            } else {
                chunk("iTXt", key + [0, 0, 0, 0, 0] + Array(t.text.utf8), into: &out)
            }
        }
        // Raw scanlines, each with filter type 0.
        let stride = image.width * 3
        var raw = [UInt8]()
        raw.reserveCapacity(image.height * (stride + 1))
        for y in 0..<image.height {
            raw.append(0)
            raw.append(contentsOf: image.pixels[(y * stride)..<((y + 1) * stride)])
        }
        chunk("IDAT", zlibStored(raw), into: &out)
        chunk("IEND", [], into: &out)
        return out
    }

    /// zlib header, stored DEFLATE blocks of at most 65535 bytes, Adler-32.
    static func zlibStored(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]
        var offset = 0
        repeat {
            let n = min(65535, data.count - offset)
            let last: UInt8 = offset + n == data.count ? 1 : 0
            out += [last, UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)]
            out += data[offset..<(offset + n)]
            offset += n
        } while offset < data.count
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in data {
            a = (a + UInt32(byte)) % 65521
            b = (b + a) % 65521
        }
        return out + be32(b << 16 | a)
    }

    private static func chunk(_ type: String, _ data: [UInt8], into out: inout [UInt8]) {
        let typeBytes = Array(type.utf8)
        out += be32(UInt32(data.count)) + typeBytes + data
        out += be32(crc32(typeBytes + data))
    }

    private static let crcTable: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func crc32(_ data: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in data { c = crcTable[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }

    private static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
}
