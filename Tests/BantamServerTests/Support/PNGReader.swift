/// A small PNG decoder for the tests (8-bit RGB, non-interlaced): checks every chunk's CRC, inflates the
/// zlib stream (stored, fixed and dynamic Huffman blocks; Adler-32 checked), undoes the row filters, and
/// collects tEXt/iTXt chunks. Enough to prove the server's PNGs are real images with the right pixels.
enum PNGReader {
    struct Image {
        let width: Int
        let height: Int
        let pixels: [UInt8]
        let text: [String: String]
    }

    struct Failure: Error, CustomStringConvertible { let description: String }

    static func decode(_ data: [UInt8]) throws -> Image {
        guard data.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) else { throw Failure(description: "no PNG signature") }
        var offset = 8, width = 0, height = 0
        var idat: [UInt8] = []
        var text: [String: String] = [:]
        func be32(_ i: Int) -> Int { Int(data[i]) << 24 | Int(data[i + 1]) << 16 | Int(data[i + 2]) << 8 | Int(data[i + 3]) }
        while offset + 12 <= data.count {
            let length = be32(offset)
            let type = String(decoding: data[(offset + 4)..<(offset + 8)], as: UTF8.self)
            let body = Array(data[(offset + 8)..<(offset + 8 + length)])
            guard UInt32(be32(offset + 8 + length)) == crc32(Array(data[(offset + 4)..<(offset + 8 + length)])) else {
                throw Failure(description: "bad CRC in \(type)")
            }
            switch type {
            case "IHDR":
                width = Int(body[0]) << 24 | Int(body[1]) << 16 | Int(body[2]) << 8 | Int(body[3])
                height = Int(body[4]) << 24 | Int(body[5]) << 16 | Int(body[6]) << 8 | Int(body[7])
                guard body[8] == 8, body[9] == 2, body[12] == 0 else { throw Failure(description: "not 8-bit RGB") }
            case "IDAT": idat += body
            case "tEXt":
                let zero = body.firstIndex(of: 0)!
                text[String(decoding: body[..<zero], as: UTF8.self)] = String(body[(zero + 1)...].map { Character(Unicode.Scalar($0)) })
            case "iTXt":
                let zero = body.firstIndex(of: 0)!
                var i = zero + 3
                while body[i] != 0 { i += 1 }   // language tag
                i += 1
                while body[i] != 0 { i += 1 }   // translated keyword
                text[String(decoding: body[..<zero], as: UTF8.self)] = String(decoding: body[(i + 1)...], as: UTF8.self)
            case "IEND": offset = data.count
            default: break
            }
            offset += 12 + length
        }
        let raw = try inflateZlib(idat)
        let stride = width * 3
        guard raw.count == height * (stride + 1) else { throw Failure(description: "\(raw.count) bytes of rows for \(width)×\(height)") }
        var pixels = [UInt8](repeating: 0, count: height * stride)
        for y in 0..<height {
            let filter = raw[y * (stride + 1)]
            for x in 0..<stride {
                let v = Int(raw[y * (stride + 1) + 1 + x])
                let a = x >= 3 ? Int(pixels[y * stride + x - 3]) : 0
                let b = y > 0 ? Int(pixels[(y - 1) * stride + x]) : 0
                let c = x >= 3 && y > 0 ? Int(pixels[(y - 1) * stride + x - 3]) : 0
                let predictor: Int
                switch filter {
                case 0: predictor = 0
                case 1: predictor = a
                case 2: predictor = b
                case 3: predictor = (a + b) / 2
                case 4:
                    let p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c)
                    predictor = pa <= pb && pa <= pc ? a : (pb <= pc ? b : c)
                default: throw Failure(description: "filter \(filter)")
                }
                pixels[y * stride + x] = UInt8((v + predictor) & 0xFF)
            }
        }
        return Image(width: width, height: height, pixels: pixels, text: text)
    }

    static func crc32(_ data: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for byte in data {
            c ^= UInt32(byte)
            for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        }
        return c ^ 0xFFFF_FFFF
    }

    // MARK: Inflate (RFC 1950/1951)

    struct Bits {
        let data: [UInt8]
        var position = 0   // in bits
        mutating func bit() throws -> Int {
            guard position / 8 < data.count else { throw Failure(description: "inflate: out of data") }
            let b = Int(data[position / 8] >> (position % 8)) & 1
            position += 1
            return b
        }
        mutating func bits(_ n: Int) throws -> Int {
            var v = 0
            for i in 0..<n { v |= try bit() << i }
            return v
        }
    }

    /// Canonical Huffman decoding table: counts per length and symbols in code order.
    struct Huffman {
        var counts = [Int](repeating: 0, count: 16)
        var symbols: [Int] = []
        init(lengths: [Int]) {
            for l in lengths { counts[l] += 1 }
            counts[0] = 0
            var offsets = [Int](repeating: 0, count: 16)
            for l in 1..<16 { offsets[l] = offsets[l - 1] + counts[l - 1] }
            symbols = [Int](repeating: 0, count: lengths.count)
            for (s, l) in lengths.enumerated() where l > 0 {
                symbols[offsets[l]] = s
                offsets[l] += 1
            }
        }
        func decode(_ bits: inout Bits) throws -> Int {
            var code = 0, first = 0, index = 0
            for length in 1..<16 {
                code |= try bits.bit()
                let count = counts[length]
                if code - count < first { return symbols[index + (code - first)] }
                index += count
                first = (first + count) << 1
                code <<= 1
            }
            throw Failure(description: "inflate: bad code")
        }
    }

    static let lengthBase = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]
    static let lengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    static let distanceBase = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577]
    static let distanceExtra = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]

    static func inflateZlib(_ data: [UInt8]) throws -> [UInt8] {
        guard data.count >= 6, data[0] & 0x0F == 8, (Int(data[0]) << 8 | Int(data[1])) % 31 == 0 else { throw Failure(description: "bad zlib header") }
        var bits = Bits(data: Array(data.dropFirst(2)))
        var out: [UInt8] = []
        var last = 0
        repeat {
            last = try bits.bit()
            let type = try bits.bits(2)
            switch type {
            case 0:
                bits.position = (bits.position + 7) / 8 * 8
                let n = try bits.bits(16), complement = try bits.bits(16)
                guard n == ~complement & 0xFFFF else { throw Failure(description: "stored length check") }
                for _ in 0..<n { out.append(UInt8(try bits.bits(8))) }
            case 1, 2:
                let literal: Huffman, distance: Huffman
                if type == 1 {
                    literal = Huffman(lengths: (0..<288).map { $0 < 144 ? 8 : $0 < 256 ? 9 : $0 < 280 ? 7 : 8 })
                    distance = Huffman(lengths: [Int](repeating: 5, count: 30))
                } else {
                    let hlit = try bits.bits(5) + 257, hdist = try bits.bits(5) + 1, hclen = try bits.bits(4) + 4
                    let order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]
                    var codeLengths = [Int](repeating: 0, count: 19)
                    for i in 0..<hclen { codeLengths[order[i]] = try bits.bits(3) }
                    let lengthCode = Huffman(lengths: codeLengths)
                    var lengths: [Int] = []
                    while lengths.count < hlit + hdist {
                        let symbol = try lengthCode.decode(&bits)
                        switch symbol {
                        case 0..<16: lengths.append(symbol)
                        case 16: lengths += [Int](repeating: lengths.last!, count: 3 + (try bits.bits(2)))
                        case 17: lengths += [Int](repeating: 0, count: 3 + (try bits.bits(3)))
                        default: lengths += [Int](repeating: 0, count: 11 + (try bits.bits(7)))
                        }
                    }
                    literal = Huffman(lengths: Array(lengths[0..<hlit]))
                    distance = Huffman(lengths: Array(lengths[hlit...]))
                }
                while true {
                    let symbol = try literal.decode(&bits)
                    if symbol < 256 { out.append(UInt8(symbol)); continue }
                    if symbol == 256 { break }
                    let length = lengthBase[symbol - 257] + (try bits.bits(lengthExtra[symbol - 257]))
                    let d = try distance.decode(&bits)
                    let back = distanceBase[d] + (try bits.bits(distanceExtra[d]))
                    guard back <= out.count else { throw Failure(description: "inflate: distance too far") }
                    for _ in 0..<length { out.append(out[out.count - back]) }
                }
            default: throw Failure(description: "inflate: block type 3")
            }
        } while last == 0
        bits.position = (bits.position + 7) / 8 * 8
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in out { a = (a + UInt32(byte)) % 65521; b = (b + a) % 65521 }
        let stored = try (0..<4).map { _ in try bits.bits(8) }.reduce(0) { $0 << 8 | $1 }
        guard UInt32(stored) == b << 16 | a else { throw Failure(description: "Adler-32 mismatch") }
        return out
    }
}
