/// Reads back what PNGEncoder writes (test-only): checks the signature and every chunk's CRC, collects
/// text chunks, inflates the image data and undoes the row filters (PNG spec §9), for 8-bit RGB images.
struct PNGReader {
    struct Failure: Error, CustomStringConvertible { let description: String }

    var width = 0, height = 0
    var rgb: [UInt8] = []
    var text: [(String, String)] = []
    var chunkTypes: [String] = []

    init(_ bytes: [UInt8]) throws {
        guard bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) else { throw Failure(description: "no PNG signature") }
        var at = 8, idat: [UInt8] = []
        func u32(_ i: Int) -> Int { Int(bytes[i]) << 24 | Int(bytes[i + 1]) << 16 | Int(bytes[i + 2]) << 8 | Int(bytes[i + 3]) }
        while at < bytes.count {
            guard at + 12 <= bytes.count else { throw Failure(description: "truncated chunk") }
            let length = u32(at)
            let type = String(decoding: bytes[(at + 4)..<(at + 8)], as: UTF8.self)
            guard at + 12 + length <= bytes.count else { throw Failure(description: "chunk \(type) overruns the file") }
            let data = Array(bytes[(at + 8)..<(at + 8 + length)])
            // CRC by the plain bitwise definition, independent of the encoder's table.
            var crc: UInt32 = 0xFFFF_FFFF
            for b in bytes[(at + 4)..<(at + 8 + length)] {
                crc ^= UInt32(b)
                for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
            }
            guard UInt32(u32(at + 8 + length)) == ~crc else { throw Failure(description: "bad CRC in \(type)") }
            chunkTypes.append(type)
            switch type {
            case "IHDR":
                width = u32(at + 8); height = u32(at + 12)
                guard data[8...] == [8, 2, 0, 0, 0] else { throw Failure(description: "not 8-bit RGB, non-interlaced") }
            case "tEXt":
                let zero = data.firstIndex(of: 0)!
                text.append((String(data[..<zero].map { Character(Unicode.Scalar($0)) }),
                             String(data[(zero + 1)...].map { Character(Unicode.Scalar($0)) })))
            case "iTXt":
                let zero = data.firstIndex(of: 0)!
                guard data[(zero + 1)...].starts(with: [0, 0, 0, 0]) else { throw Failure(description: "unexpected iTXt flags") }
                text.append((String(decoding: data[..<zero], as: UTF8.self), String(decoding: data[(zero + 5)...], as: UTF8.self)))
            case "IDAT": idat += data
            default: break
            }
            at += 12 + length
        }
        guard chunkTypes.first == "IHDR", chunkTypes.last == "IEND" else { throw Failure(description: "chunk order") }
        let filtered = try Inflater.zlib(idat)
        let stride = width * 3
        guard filtered.count == height * (stride + 1) else { throw Failure(description: "image data size") }
        rgb = [UInt8](repeating: 0, count: height * stride)
        for y in 0..<height {
            let filter = filtered[y * (stride + 1)]
            for i in 0..<stride {
                let x = Int(filtered[y * (stride + 1) + 1 + i])
                let a = i >= 3 ? Int(rgb[y * stride + i - 3]) : 0
                let b = y > 0 ? Int(rgb[(y - 1) * stride + i]) : 0
                let c = (i >= 3 && y > 0) ? Int(rgb[(y - 1) * stride + i - 3]) : 0
                let predictor: Int
                switch filter {
                case 0: predictor = 0
                case 1: predictor = a
                case 2: predictor = b
                case 3: predictor = (a + b) / 2
                case 4:
                    let p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c)
                    predictor = pa <= pb && pa <= pc ? a : (pb <= pc ? b : c)
                default: throw Failure(description: "filter type \(filter)")
                }
                rgb[y * stride + i] = UInt8((x + predictor) & 255)
            }
        }
    }
}
