/// A DEFLATE compressor (RFC 1951) and its zlib wrapper (RFC 1950), for PNG image data.
///
/// Matches come from `LZ77Matcher`; every block of up to `blockSymbols` tokens is written with whichever
/// of its three encodings is smallest: dynamic Huffman codes built for the block, the fixed codes, or
/// stored (uncompressed) bytes.
public enum Deflate {
    /// Tokens per block: small enough that codes adapt to changing content, large enough that the
    /// dynamic header's cost is spread (zlib uses 16K symbols at its default memory level).
    static let blockSymbols = 16384

    /// The raw DEFLATE stream of `data`.
    public static func compress(_ data: [UInt8]) -> [UInt8] {
        var writer = BitWriter(capacity: data.count / 2 + 64)
        if data.isEmpty {
            writeBlock([], range: 0..<0, data: [], final: true, into: &writer)
            return writer.finish()
        }
        data.withUnsafeBufferPointer { input in
            var start = 0
            var pending: (tokens: [LZ77Matcher.Token], range: Range<Int>)?
            LZ77Matcher.tokenize(input, blockSymbols: blockSymbols) { tokens, end in
                // Hold one block back, so that the last one written can carry BFINAL.
                if let previous = pending {
                    writeBlock(previous.tokens, range: previous.range, data: input, final: false, into: &writer)
                }
                pending = (tokens, start..<end)
                start = end
            }
            if let last = pending { writeBlock(last.tokens, range: last.range, data: input, final: true, into: &writer) }
        }
        return writer.finish()
    }

    /// A zlib stream: header (deflate, 32 KiB window, default level), DEFLATE data, Adler-32 (big-endian).
    public static func zlib(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x9C]
        out += compress(data)
        let adler = Checksums.adler32(data)
        out += [UInt8(adler >> 24), UInt8(adler >> 16 & 0xFF), UInt8(adler >> 8 & 0xFF), UInt8(adler & 0xFF)]
        return out
    }

    // MARK: blocks

    /// Writes the tokens of input bytes `range` as the cheapest of a dynamic, fixed or stored block.
    private static func writeBlock<D: RandomAccessCollection>(_ tokens: [LZ77Matcher.Token], range: Range<Int>, data: D,
                                                              final: Bool, into writer: inout BitWriter)
        where D.Element == UInt8, D.Index == Int {
        // 1. Symbol frequencies (plus one end-of-block).
        var literalFrequency = [Int](repeating: 0, count: 286)
        var distanceFrequency = [Int](repeating: 0, count: 30)
        for t in tokens {
            if t.distance == 0 {
                literalFrequency[Int(t.value)] += 1
            } else {
                literalFrequency[257 + Int(DeflateTables.lengthSymbol[Int(t.value)])] += 1
                distanceFrequency[DeflateTables.distanceSymbol(Int(t.distance))] += 1
            }
        }
        literalFrequency[256] += 1
        // 2. The dynamic codes and what each encoding would cost, in bits.
        let literalCode = HuffmanCode(frequencies: literalFrequency, maxLength: 15)
        let distanceCode = HuffmanCode(frequencies: distanceFrequency, maxLength: 15)
        let header = DynamicHeader(literal: literalCode, distance: distanceCode)
        let extraBits = extraBitCount(tokens)
        let dynamicBits = 3 + header.bitCount + payloadBits(literalFrequency, distanceFrequency, literalCode.lengths, distanceCode.lengths) + extraBits
        let fixedBits = 3 + payloadBits(literalFrequency, distanceFrequency, DeflateTables.fixedLiteralLengths, DeflateTables.fixedDistanceLengths) + extraBits
        let storedBlocks = max(1, (range.count + 65534) / 65535)
        let storedBits = storedBlocks * (3 + 7 + 32) + range.count * 8   // header, worst-case padding, LEN/NLEN
        // 3. Write the cheapest.
        if storedBits <= min(dynamicBits, fixedBits) {
            writeStored(range: range, data: data, final: final, into: &writer)
        } else if dynamicBits < fixedBits {
            writer.write(final ? 1 : 0, width: 1)
            writer.write(2, width: 2)
            header.write(into: &writer)
            writeTokens(tokens, literal: literalCode, distance: distanceCode, into: &writer)
        } else {
            writer.write(final ? 1 : 0, width: 1)
            writer.write(1, width: 2)
            writeTokens(tokens, literal: fixedLiteral, distance: fixedDistance, into: &writer)
        }
    }

    private static let fixedLiteral = HuffmanCode(lengths: DeflateTables.fixedLiteralLengths)
    private static let fixedDistance = HuffmanCode(lengths: DeflateTables.fixedDistanceLengths)

    /// Stored blocks of at most 65535 bytes each.
    private static func writeStored<D: RandomAccessCollection>(range: Range<Int>, data: D, final: Bool, into writer: inout BitWriter)
        where D.Element == UInt8, D.Index == Int {
        var start = range.lowerBound
        repeat {
            let end = min(start + 65535, range.upperBound)
            let last = final && end == range.upperBound
            writer.write(last ? 1 : 0, width: 1)
            writer.write(0, width: 2)
            writer.alignToByte()
            let length = UInt32(end - start)
            writer.write(length, width: 16)
            writer.write(~length & 0xFFFF, width: 16)
            writer.append(bytes: data[start..<end])
            start = end
        } while start < range.upperBound
    }

    /// The Huffman-coded symbols of the tokens and their extra bits, then end-of-block.
    private static func writeTokens(_ tokens: [LZ77Matcher.Token], literal: HuffmanCode, distance: HuffmanCode,
                                    into writer: inout BitWriter) {
        literal.reversedCodes.withUnsafeBufferPointer { lc in
        literal.lengths.withUnsafeBufferPointer { ll in
        distance.reversedCodes.withUnsafeBufferPointer { dc in
        distance.lengths.withUnsafeBufferPointer { dl in
            for t in tokens {
                if t.distance == 0 {
                    writer.write(UInt32(lc[Int(t.value)]), width: Int(ll[Int(t.value)]))
                    continue
                }
                let length = Int(t.value), lengthIndex = Int(DeflateTables.lengthSymbol[length])
                writer.write(UInt32(lc[257 + lengthIndex]), width: Int(ll[257 + lengthIndex]))
                let lengthExtra = DeflateTables.lengthExtra[lengthIndex]
                if lengthExtra > 0 { writer.write(UInt32(length - DeflateTables.lengthBase[lengthIndex]), width: lengthExtra) }
                let d = Int(t.distance), distanceIndex = DeflateTables.distanceSymbol(d)
                writer.write(UInt32(dc[distanceIndex]), width: Int(dl[distanceIndex]))
                let distanceExtra = DeflateTables.distanceExtra[distanceIndex]
                if distanceExtra > 0 { writer.write(UInt32(d - DeflateTables.distanceBase[distanceIndex]), width: distanceExtra) }
            }
            writer.write(UInt32(lc[256]), width: Int(ll[256]))
        }
        }
        }
        }
    }

    /// Bits of the Huffman codes of all symbols with the given lengths.
    private static func payloadBits(_ literalFrequency: [Int], _ distanceFrequency: [Int],
                                    _ literalLengths: [UInt8], _ distanceLengths: [UInt8]) -> Int {
        var bits = 0
        for (f, l) in zip(literalFrequency, literalLengths) { bits += f * Int(l) }
        for (f, l) in zip(distanceFrequency, distanceLengths) { bits += f * Int(l) }
        return bits
    }

    /// Extra bits of all matches (the same for every encoding).
    private static func extraBitCount(_ tokens: [LZ77Matcher.Token]) -> Int {
        var bits = 0
        for t in tokens where t.distance != 0 {
            bits += DeflateTables.lengthExtra[Int(DeflateTables.lengthSymbol[Int(t.value)])]
            bits += DeflateTables.distanceExtra[DeflateTables.distanceSymbol(Int(t.distance))]
        }
        return bits
    }
}
