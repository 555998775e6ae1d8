/// The fixed tables of DEFLATE (RFC 1951 §3.2.5): length and distance symbols with their extra bits.
enum DeflateTables {
    /// Base length of length symbols 257...285.
    static let lengthBase: [Int] = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59,
                                    67, 83, 99, 115, 131, 163, 195, 227, 258]
    static let lengthExtra: [Int] = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4,
                                     5, 5, 5, 5, 0]
    /// Base distance of distance symbols 0...29.
    static let distanceBase: [Int] = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385,
                                      513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577]
    static let distanceExtra: [Int] = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10,
                                       10, 11, 11, 12, 12, 13, 13]
    /// Order in which code-length code lengths are sent (§3.2.7).
    static let codeLengthOrder: [Int] = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]

    /// Length symbol index (0...28, i.e. symbol − 257) of each match length 0...258 (valid from 3).
    static let lengthSymbol: [UInt8] = {
        var table = [UInt8](repeating: 0, count: 259)
        for symbol in 0..<29 {
            let top = symbol == 28 ? 258 : min(lengthBase[symbol] + (1 << lengthExtra[symbol]) - 1, 257)
            for length in lengthBase[symbol]...top { table[length] = UInt8(symbol) }
        }
        table[258] = 28   // 258 has its own symbol (285), not 284 + 31
        return table
    }()

    /// Distance symbol of distances 1...256 (index d − 1) and of larger ones by (d − 1) >> 7 (index 256 + …).
    static let distanceSymbolTable: [UInt8] = {
        var table = [UInt8](repeating: 0, count: 512)
        for symbol in 0..<30 {
            let last = distanceBase[symbol] + (1 << distanceExtra[symbol]) - 1
            for d in distanceBase[symbol]...last {
                if d <= 256 { table[d - 1] = UInt8(symbol) } else { table[256 + ((d - 1) >> 7)] = UInt8(symbol) }
            }
        }
        return table
    }()

    @inline(__always) static func distanceSymbol(_ distance: Int) -> Int {
        distance <= 256 ? Int(distanceSymbolTable[distance - 1]) : Int(distanceSymbolTable[256 + ((distance - 1) >> 7)])
    }

    /// The fixed literal/length code lengths (§3.2.6) and the fixed distance code (all 5 bits).
    static let fixedLiteralLengths: [UInt8] = (0..<288).map { s in s < 144 ? 8 : s < 256 ? 9 : s < 280 ? 7 : 8 }
    static let fixedDistanceLengths: [UInt8] = [UInt8](repeating: 5, count: 30)
}
