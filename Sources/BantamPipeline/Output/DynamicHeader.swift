/// The header of a dynamic-Huffman DEFLATE block (RFC 1951 §3.2.7): both code-length tables,
/// run-length coded with symbols 16 (repeat the previous length 3–6 times), 17 (3–10 zeros) and
/// 18 (11–138 zeros), themselves Huffman coded with a code of at most 7 bits.
struct DynamicHeader {
    /// Literal/length codes sent (257...286) and distance codes sent (1...30).
    let literalCount: Int, distanceCount: Int
    /// The run-length coded lengths: (symbol 0...18, extra bits value).
    let runs: [(symbol: Int, extra: Int)]
    let codeLengthCode: HuffmanCode
    /// Code-length code lengths sent, in `codeLengthOrder` (4...19).
    let codeLengthCount: Int

    init(literal: HuffmanCode, distance: HuffmanCode) {
        var literalCount = 286
        while literalCount > 257 && literal.lengths[literalCount - 1] == 0 { literalCount -= 1 }
        var distanceCount = 30
        while distanceCount > 1 && distance.lengths[distanceCount - 1] == 0 { distanceCount -= 1 }
        self.literalCount = literalCount
        self.distanceCount = distanceCount
        let runs = Self.runLengths(Array(literal.lengths[..<literalCount]) + Array(distance.lengths[..<distanceCount]))
        self.runs = runs
        var frequency = [Int](repeating: 0, count: 19)
        for r in runs { frequency[r.symbol] += 1 }
        let code = HuffmanCode(frequencies: frequency, maxLength: 7)
        self.codeLengthCode = code
        var count = 19
        while count > 4 && code.lengths[DeflateTables.codeLengthOrder[count - 1]] == 0 { count -= 1 }
        self.codeLengthCount = count
    }

    /// Run-length coding of a sequence of code lengths.
    private static func runLengths(_ lengths: [UInt8]) -> [(symbol: Int, extra: Int)] {
        var runs: [(symbol: Int, extra: Int)] = []
        var i = 0
        while i < lengths.count {
            let l = lengths[i]
            var run = 1
            while i + run < lengths.count && lengths[i + run] == l { run += 1 }
            i += run
            if l == 0 {
                while run >= 11 { let r = min(run, 138); runs.append((18, r - 11)); run -= r }
                if run >= 3 { runs.append((17, run - 3)); run = 0 }
                while run > 0 { runs.append((0, 0)); run -= 1 }
            } else {
                runs.append((Int(l), 0))
                run -= 1
                while run >= 3 { let r = min(run, 6); runs.append((16, r - 3)); run -= r }
                while run > 0 { runs.append((Int(l), 0)); run -= 1 }
            }
        }
        return runs
    }

    private static func extraWidth(_ symbol: Int) -> Int { symbol == 16 ? 2 : symbol == 17 ? 3 : symbol == 18 ? 7 : 0 }

    /// Bits this header takes.
    var bitCount: Int {
        var bits = 5 + 5 + 4 + 3 * codeLengthCount
        for r in runs { bits += Int(codeLengthCode.lengths[r.symbol]) + Self.extraWidth(r.symbol) }
        return bits
    }

    func write(into writer: inout BitWriter) {
        writer.write(UInt32(literalCount - 257), width: 5)
        writer.write(UInt32(distanceCount - 1), width: 5)
        writer.write(UInt32(codeLengthCount - 4), width: 4)
        for i in 0..<codeLengthCount {
            writer.write(UInt32(codeLengthCode.lengths[DeflateTables.codeLengthOrder[i]]), width: 3)
        }
        for r in runs {
            writer.write(UInt32(codeLengthCode.reversedCodes[r.symbol]), width: Int(codeLengthCode.lengths[r.symbol]))
            let width = Self.extraWidth(r.symbol)
            if width > 0 { writer.write(UInt32(r.extra), width: width) }
        }
    }
}
