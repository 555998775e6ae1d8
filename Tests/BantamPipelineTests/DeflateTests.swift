import Testing
import BantamPipeline
import BantamTestSupport

/// The DEFLATE/zlib encoder: checksums against published vectors, streams decoded by an independent
/// inflater (Inflater.swift, test-only) back to their input, and compression that actually compresses.
@Suite struct DeflateTests {
    @Test func crc32KnownVectors() {
        #expect(Checksums.crc32(Array("".utf8)) == 0)
        #expect(Checksums.crc32(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(Checksums.crc32(Array("The quick brown fox jumps over the lazy dog".utf8)) == 0x414F_A339)
        // PNG's IEND chunk CRC (over the type only) is the fixed value every PNG ends with.
        #expect(Checksums.crc32(Array("IEND".utf8)) == 0xAE42_6082)
        // Continuing a checksum equals checksumming the concatenation.
        let text = Array("Hello, PNG chunks".utf8)
        #expect(Checksums.crc32(text[7...], continuing: Checksums.crc32(text[..<7])) == Checksums.crc32(text))
    }

    @Test func adler32KnownVectors() {
        #expect(Checksums.adler32([]) == 1)
        #expect(Checksums.adler32(Array("Wikipedia".utf8)) == 0x11E6_0398)
        #expect(Checksums.adler32(Array("123456789".utf8)) == 0x091E_01DE)
        // Long inputs cross the modulo-reduction blocks: compare with the plain definition.
        var rng = TestRNG()
        let bytes = (0..<100_003).map { i in i % 7 == 0 ? UInt8(255) : UInt8(truncatingIfNeeded: rng.next() >> 17) }
        var a: UInt32 = 1, b: UInt32 = 0
        for x in bytes { a = (a + UInt32(x)) % 65521; b = (b + a) % 65521 }
        #expect(Checksums.adler32(bytes) == b << 16 | a, "seed \(rng.seed)")
    }

    /// Inputs of many kinds and sizes: each stream must decode (strictly: complete codes, exact end,
    /// Adler-32) to the input.
    @Test func roundTripsThroughAnIndependentInflater() throws {
        var rng = TestRNG()
        let sizes = [0, 1, 2, 3, 4, 7, 17, 258, 259, 1000, 4099, 65535, 65536, 70_001, 200_000]
        for size in sizes {
            let kinds: [(String, [UInt8])] = [
                ("random", (0..<size).map { _ in UInt8(truncatingIfNeeded: rng.next() >> 13) }),
                ("zeros", [UInt8](repeating: 0, count: size)),
                ("small alphabet", (0..<size).map { _ in UInt8(truncatingIfNeeded: rng.next() >> 40) & 3 }),
                ("text", Array(String(repeating: "the quick brown fox, 1234567 jumps; ", count: size / 36 + 1).utf8.prefix(size))),
                ("mixed", (0..<size).map { i in i % 5000 < 2500 ? UInt8(i / 300 % 256) : UInt8(truncatingIfNeeded: rng.next() >> 21) }),
            ]
            for (kind, data) in kinds {
                let raw = Deflate.compress(data)
                #expect(try Inflater.raw(raw) == data, "\(kind) \(size) bytes, seed \(rng.seed)")
                let wrapped = Deflate.zlib(data)
                #expect(try Inflater.zlib(wrapped) == data, "\(kind) \(size) bytes (zlib), seed \(rng.seed)")
            }
        }
    }

    /// Redundant data compresses well; random data grows by no more than stored blocks' overhead.
    @Test func compressionRatios() {
        var rng = TestRNG()
        let zeros = [UInt8](repeating: 0, count: 1 << 20)
        #expect(Deflate.compress(zeros).count < 2_000)
        let text = Array(String(repeating: "a photo of a cyberpunk city at night, intricate details. ", count: 2000).utf8)
        #expect(Deflate.compress(text).count < text.count / 50)
        let random = (0..<100_000).map { _ in UInt8(truncatingIfNeeded: rng.next() >> 11) }
        #expect(Deflate.compress(random).count <= random.count + 5 * (random.count / 16_000 + 2), "seed \(rng.seed)")
        let skewed = (0..<100_000).map { _ in UInt8(truncatingIfNeeded: rng.next() >> 40) & 15 }
        #expect(Deflate.compress(skewed).count < 60_000, "4-bit symbols should code in about half the bytes")
    }
}
