/// A small, strict DEFLATE/zlib decoder (after Mark Adler's "puff" design: canonical codes decoded by
/// counting codes per length), used only to prove that the encoder's streams decode to their input.
enum Inflater {
    struct Failure: Error, CustomStringConvertible { let description: String }

    /// Decodes a zlib stream, checking the header and the Adler-32 trailer.
    static func zlib(_ data: [UInt8]) throws -> [UInt8] {
        guard data.count >= 6 else { throw Failure(description: "zlib stream too short") }
        guard data[0] & 0x0F == 8, (Int(data[0]) << 8 | Int(data[1])) % 31 == 0, data[1] & 0x20 == 0 else {
            throw Failure(description: "bad zlib header")
        }
        var reader = Reader(bytes: Array(data[2...]))
        let out = try inflate(&reader)
        let at = 2 + reader.bytesConsumed
        guard data.count == at + 4 else { throw Failure(description: "\(data.count - at - 4) bytes after the stream") }
        let stored = UInt32(data[at]) << 24 | UInt32(data[at + 1]) << 16 | UInt32(data[at + 2]) << 8 | UInt32(data[at + 3])
        // Adler-32 computed independently of the encoder's implementation (plain definition).
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in out { a = (a + UInt32(byte)) % 65521; b = (b + a) % 65521 }
        guard stored == b << 16 | a else { throw Failure(description: "Adler-32 mismatch") }
        return out
    }

    /// Decodes a raw DEFLATE stream that must end exactly at the end of `data` (after padding).
    static func raw(_ data: [UInt8]) throws -> [UInt8] {
        var reader = Reader(bytes: data)
        let out = try inflate(&reader)
        guard reader.bytesConsumed == data.count else { throw Failure(description: "trailing bytes") }
        return out
    }

    struct Reader {
        let bytes: [UInt8]
        var position = 0, bitBuffer = 0, bitCount = 0
        /// Whole bytes consumed (a partial last byte counts).
        var bytesConsumed: Int { position }

        mutating func bits(_ n: Int) throws -> Int {
            while bitCount < n {
                guard position < bytes.count else { throw Failure(description: "out of input") }
                bitBuffer |= Int(bytes[position]) << bitCount
                position += 1
                bitCount += 8
            }
            let v = bitBuffer & ((1 << n) - 1)
            bitBuffer >>= n
            bitCount -= n
            return v
        }

        mutating func dropToByte() { bitBuffer = 0; bitCount = 0 }
    }

    /// A canonical Huffman decoding table: codes per length and symbols in code order.
    struct Table {
        var count = [Int](repeating: 0, count: 16)
        var symbols: [Int] = []
        /// Whether the code lengths use the whole code space (Kraft sum exactly 1).
        var complete = false

        init(lengths: [Int]) throws {
            for l in lengths { count[l] += 1 }
            var left = 1
            for l in 1...15 {
                left = left * 2 - count[l]
                if left < 0 { throw Failure(description: "over-subscribed code") }
            }
            complete = left == 0
            var offsets = [Int](repeating: 0, count: 16)
            for l in 1..<15 { offsets[l + 1] = offsets[l] + count[l] }
            symbols = [Int](repeating: 0, count: lengths.count)
            for (s, l) in lengths.enumerated() where l > 0 {
                symbols[offsets[l]] = s
                offsets[l] += 1
            }
        }

        func decode(_ r: inout Reader) throws -> Int {
            var code = 0, first = 0, index = 0
            for l in 1...15 {
                code |= try r.bits(1)
                let c = count[l]
                if code - c < first { return symbols[index + (code - first)] }
                index += c
                first = (first + c) << 1
                code <<= 1
            }
            throw Failure(description: "invalid code")
        }
    }

    static let lengthBase = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]
    static let lengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    static let distBase = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577]
    static let distExtra = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]

    static func inflate(_ r: inout Reader) throws -> [UInt8] {
        var out: [UInt8] = []
        var last = 0
        repeat {
            last = try r.bits(1)
            switch try r.bits(2) {
            case 0:
                r.dropToByte()
                let len = try r.bits(16), nlen = try r.bits(16)
                guard len == (~nlen & 0xFFFF) else { throw Failure(description: "stored length check") }
                for _ in 0..<len { out.append(UInt8(try r.bits(8))) }
            case 1:
                let lit = try Table(lengths: (0..<288).map { $0 < 144 ? 8 : $0 < 256 ? 9 : $0 < 280 ? 7 : 8 })
                let dist = try Table(lengths: [Int](repeating: 5, count: 30))
                try codes(&r, lit, dist, &out)
            case 2:
                let nlen = try r.bits(5) + 257, ndist = try r.bits(5) + 1, ncode = try r.bits(4) + 4
                guard nlen <= 286, ndist <= 30 else { throw Failure(description: "bad counts") }
                let order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]
                var cl = [Int](repeating: 0, count: 19)
                for i in 0..<ncode { cl[order[i]] = try r.bits(3) }
                let clTable = try Table(lengths: cl)
                guard clTable.complete else { throw Failure(description: "incomplete code-length code") }
                var lengths: [Int] = []
                while lengths.count < nlen + ndist {
                    let s = try clTable.decode(&r)
                    if s < 16 { lengths.append(s); continue }
                    var value = 0, repeatCount = 0
                    if s == 16 {
                        guard let p = lengths.last else { throw Failure(description: "repeat with no previous") }
                        value = p; repeatCount = 3 + (try r.bits(2))
                    } else if s == 17 { repeatCount = 3 + (try r.bits(3)) } else { repeatCount = 11 + (try r.bits(7)) }
                    guard lengths.count + repeatCount <= nlen + ndist else { throw Failure(description: "too many lengths") }
                    lengths += [Int](repeating: value, count: repeatCount)
                }
                guard lengths[256] > 0 else { throw Failure(description: "no end-of-block code") }
                let lit = try Table(lengths: Array(lengths[..<nlen])), dist = try Table(lengths: Array(lengths[nlen...]))
                // zlib rejects incomplete codes (except a distance code of at most one symbol).
                guard lit.complete, dist.complete || dist.count.reduce(0, +) - dist.count[0] <= 1 else {
                    throw Failure(description: "incomplete literal/length or distance code")
                }
                try codes(&r, lit, dist, &out)
            default:
                throw Failure(description: "block type 3")
            }
        } while last == 0
        return out
    }

    static func codes(_ r: inout Reader, _ lit: Table, _ dist: Table, _ out: inout [UInt8]) throws {
        while true {
            let s = try lit.decode(&r)
            if s < 256 { out.append(UInt8(s)); continue }
            if s == 256 { return }
            let li = s - 257
            guard li < 29 else { throw Failure(description: "bad length symbol") }
            let length = lengthBase[li] + (try r.bits(lengthExtra[li]))
            let di = try dist.decode(&r)
            guard di < 30 else { throw Failure(description: "bad distance symbol") }
            let distance = distBase[di] + (try r.bits(distExtra[di]))
            guard distance <= out.count else { throw Failure(description: "distance too far back") }
            for _ in 0..<length { out.append(out[out.count - distance]) }
        }
    }
}
