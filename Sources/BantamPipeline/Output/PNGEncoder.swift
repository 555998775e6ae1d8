/// Writes 8-bit RGB images as PNG files (ISO/IEC 15948): IHDR, text chunks, IDAT (zlib data of filtered
/// rows), IEND.
///
/// Each row gets the filter (None, Sub, Up, Average, Paeth) whose output has the smallest sum of
/// absolute values as signed bytes — the heuristic the PNG specification recommends, which suits
/// photographic images. Text goes into `tEXt` chunks when it is Latin-1, otherwise into uncompressed
/// `iTXt` chunks (UTF-8), as PIL writes them; both are what A1111/Forge's "PNG Info" reads.
public enum PNGEncoder {
    /// The PNG file for `rgb` (row-major, 3 bytes per pixel, `width × height × 3` bytes).
    /// `text` pairs (keyword, text) are written in order before the image data; keywords must be 1–79
    /// printable Latin-1 characters (others are dropped).
    public static func encode(rgb: [UInt8], width: Int, height: Int, text: [(String, String)]) -> [UInt8] {
        precondition(width > 0 && height > 0 && rgb.count == width * height * 3,
                     "PNGEncoder: \(rgb.count) bytes is not a \(width)×\(height) RGB image")
        var out: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        // IHDR: size, bit depth 8, color type 2 (RGB), deflate, adaptive filtering, no interlace.
        var header: [UInt8] = []
        header += bigEndian(UInt32(width))
        header += bigEndian(UInt32(height))
        header += [8, 2, 0, 0, 0]
        appendChunk("IHDR", header, to: &out)
        for (keyword, value) in text {
            guard let key = latin1(keyword), (1...79).contains(key.count),
                  key.allSatisfy({ (0x20...0x7E).contains($0) || $0 >= 0xA1 }),
                  key.first != 0x20, key.last != 0x20 else { continue }
            if let body = latin1(value) {
                appendChunk("tEXt", key + [0] + body, to: &out)
            } else {
                // keyword, 0, compression flag 0, method 0, empty language tag, 0, empty translated keyword, 0, text
                appendChunk("iTXt", key + [0, 0, 0, 0, 0] + Array(value.utf8), to: &out)
            }
        }
        let compressed = Deflate.zlib(filteredRows(rgb, width: width, height: height))
        // IDAT pieces of at most 1 MiB, so that streaming readers need little memory.
        var start = 0
        repeat {
            let end = min(start + (1 << 20), compressed.count)
            appendChunk("IDAT", Array(compressed[start..<end]), to: &out)
            start = end
        } while start < compressed.count
        appendChunk("IEND", [], to: &out)
        return out
    }

    /// Each row prefixed by its filter type byte and filtered.
    static func filteredRows(_ rgb: [UInt8], width: Int, height: Int) -> [UInt8] {
        let stride = width * 3, bpp = 3
        var out = [UInt8](repeating: 0, count: height * (stride + 1))
        var trial = [UInt8](repeating: 0, count: stride)
        let zeros = [UInt8](repeating: 0, count: stride)   // the row "above" the first one
        rgb.withUnsafeBufferPointer { image in
        zeros.withUnsafeBufferPointer { zeros in
        out.withUnsafeMutableBufferPointer { out in
        trial.withUnsafeMutableBufferPointer { trial in
            for y in 0..<height {
                let row = image.baseAddress! + y * stride
                let above = y > 0 ? row - stride : zeros.baseAddress!
                let target = out.baseAddress! + y * (stride + 1)
                var bestScore = Int.max
                for filter in 0..<5 {
                    // Filtered bytes of this row under `filter`, scored by Σ|byte as signed|; a filter stops
                    // as soon as it cannot win.
                    var score = 0
                    for i in 0..<stride {
                        let a = i >= bpp ? Int(row[i - bpp]) : 0
                        let b = Int(above[i])
                        let predictor: Int
                        switch filter {
                        case 0: predictor = 0
                        case 1: predictor = a
                        case 2: predictor = b
                        case 3: predictor = (a + b) >> 1
                        default: predictor = paeth(a, b, i >= bpp ? Int(above[i - bpp]) : 0)
                        }
                        let v = UInt8(truncatingIfNeeded: Int(row[i]) - predictor)
                        trial[i] = v
                        score += v < 128 ? Int(v) : 256 - Int(v)
                        if score >= bestScore { break }
                    }
                    if score < bestScore {
                        bestScore = score
                        target[0] = UInt8(filter)
                        (target + 1).update(from: trial.baseAddress!, count: stride)
                    }
                }
            }
        }
        }
        }
        }
        return out
    }

    /// The Paeth predictor: whichever of left, above, upper-left is closest to left + above − upper-left.
    @inline(__always) static func paeth(_ a: Int, _ b: Int, _ c: Int) -> Int {
        let p = a + b - c
        let pa = abs(p - a), pb = abs(p - b), pc = abs(p - c)
        if pa <= pb && pa <= pc { return a }
        return pb <= pc ? b : c
    }

    private static func appendChunk(_ type: String, _ data: [UInt8], to out: inout [UInt8]) {
        let typeBytes = Array(type.utf8)
        out += bigEndian(UInt32(data.count))
        out += typeBytes
        out += data
        let crc = Checksums.crc32(data, continuing: Checksums.crc32(typeBytes))
        out += bigEndian(crc)
    }

    private static func bigEndian(_ v: UInt32) -> [UInt8] {
        [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)]
    }

    /// The text in Latin-1 when every character is in it (tEXt's encoding), else nil.
    private static func latin1(_ text: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            guard scalar.value < 256, scalar.value != 0 else { return nil }
            bytes.append(UInt8(scalar.value))
        }
        return bytes
    }
}
