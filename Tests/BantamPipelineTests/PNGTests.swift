#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
import BantamPipeline
import BantamTestSupport

/// The images and texts of the committed PNG fixtures (Tests/Fixtures/pipeline/png/). The same formulas are
/// in scripts/goldens/png_check.py, which decoded the files once with PIL and checked pixels and text.
enum PNGFixtureImages {
    struct Image {
        let name: String, width: Int, height: Int
        let rgb: [UInt8]
        let text: [(String, String)]
    }

    /// The LCG the Python script uses too (glibc's `rand` constants), one byte per call.
    struct LCG {
        var state: UInt32
        mutating func byte() -> UInt8 {
            state = (state &* 1_103_515_245 &+ 12345) & 0x7FFF_FFFF
            return UInt8((state >> 16) & 255)
        }
    }

    static func image(_ name: String, _ width: Int, _ height: Int, text: [(String, String)] = [],
                      _ pixel: (Int, Int) -> (Int, Int, Int)) -> Image {
        var rgb: [UInt8] = []
        for y in 0..<height {
            for x in 0..<width {
                let (r, g, b) = pixel(x, y)
                rgb += [UInt8(r & 255), UInt8(g & 255), UInt8(b & 255)]
            }
        }
        return Image(name: name, width: width, height: height, rgb: rgb, text: text)
    }

    static let fluxParameters = A1111Parameters(
        prompt: "a photo of a red fox, intricate details", negativePrompt: "blurry, low quality",
        pairs: [("Steps", "4"), ("Sampler", "Euler"), ("Schedule type", "Simple"), ("CFG scale", "1"),
                ("Distilled CFG Scale", "3.5"), ("Seed", "42"), ("Size", "17x9"), ("Model", "flux1-dev"),
                ("Model path", "C:\\models\\flux1-dev, \"fp8\".safetensors"), ("Version", "Bantam")])

    static var all: [Image] {
        var noise = LCG(state: 1), grain = LCG(state: 99), mixed = LCG(state: 3)
        return [
            image("tiny-1x1.png", 1, 1) { _, _ in (255, 0, 128) },
            image("gradient-17x9.png", 17, 9, text: [("parameters", fluxParameters.text)]) { x, y in
                (x * 15, y * 28, x * y * 7 + 3)
            },
            image("noise-64x48.png", 64, 48, text: [("parameters", "東京の夜景 🌃, naïve café\nSteps: 4, Sampler: Euler, Seed: 7"),
                                                   ("Comment", "Latin-1 only: café")]) { _, _ in
                (Int(noise.byte()), Int(noise.byte()), Int(noise.byte()))
            },
            image("smooth-160x120.png", 160, 120, text: [("Software", "Bantam")]) { x, y in
                (x + 2 * y + Int(grain.byte() & 3), (x * x + y * y) >> 6, 128 + (x * y) >> 5)
            },
            // Noise rows and smooth rows in bands: several blocks, stored and Huffman-coded ones.
            image("bands-256x160.png", 256, 160) { x, y in
                y % 64 < 32 ? (Int(mixed.byte()), Int(mixed.byte()), Int(mixed.byte())) : (x, y, (x ^ y) & 0xF0)
            },
        ]
    }
}

@Suite struct PNGTests {
    static func readFile(_ path: String) -> [UInt8]? {
        guard let f = fopen(path, "rb") else { return nil }
        defer { fclose(f) }
        var bytes: [UInt8] = [], chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, f) }
            if n == 0 { break }
            bytes += chunk[..<n]
        }
        return bytes
    }

    /// The encoder still writes exactly the bytes that PIL verified (set BANTAM_WRITE_PNG_FIXTURES=1 to
    /// rewrite them after an intended change, then rerun scripts/goldens/png_check.py).
    @Test func encoderWritesTheVerifiedFixtures() throws {
        for image in PNGFixtureImages.all {
            let png = PNGEncoder.encode(rgb: image.rgb, width: image.width, height: image.height, text: image.text)
            let path = PipelineFixtures.path("png/" + image.name)
            if getenv("BANTAM_WRITE_PNG_FIXTURES") != nil {
                let f = try #require(fopen(path, "wb"))
                _ = png.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }
                fclose(f)
            }
            let stored = try #require(Self.readFile(path), "missing fixture \(path)")
            #expect(png == stored, "\(image.name): encoder output differs from the verified fixture")
        }
    }

    /// Structure, checksums, text and pixels read back by the test-only reader.
    @Test func decodesBackToPixelsAndText() throws {
        for image in PNGFixtureImages.all {
            let png = PNGEncoder.encode(rgb: image.rgb, width: image.width, height: image.height, text: image.text)
            let read = try PNGReader(png)
            #expect(read.width == image.width && read.height == image.height)
            #expect(read.rgb == image.rgb, "\(image.name)")
            #expect(read.text.map(\.0) == image.text.map(\.0) && read.text.map(\.1) == image.text.map(\.1), "\(image.name)")
        }
    }

    /// Random images of odd sizes, each row's filter chosen adaptively; smooth images compress.
    @Test func randomImagesRoundTrip() throws {
        var rng = TestRNG()
        for (w, h) in [(1, 7), (3, 1), (7, 5), (33, 17), (129, 3), (64, 64)] {
            let rgb = (0..<(w * h * 3)).map { _ in UInt8(truncatingIfNeeded: rng.next() >> 9) }
            #expect(try PNGReader(PNGEncoder.encode(rgb: rgb, width: w, height: h, text: [])).rgb == rgb, "\(w)x\(h), seed \(rng.seed)")
        }
        let (w, h) = (256, 192)
        var smooth: [UInt8] = []
        for y in 0..<h { for x in 0..<w { smooth += [UInt8(x), UInt8(y), UInt8((x + y) / 2)] } }
        let png = PNGEncoder.encode(rgb: smooth, width: w, height: h, text: [])
        #expect(try PNGReader(png).rgb == smooth)
        #expect(png.count < smooth.count / 20, "a gradient should compress at least 20x, got \(png.count) bytes")
    }

    /// Text that is not Latin-1 goes to iTXt as UTF-8; bad keywords are dropped.
    @Test func textChunks() throws {
        let png = PNGEncoder.encode(rgb: [1, 2, 3], width: 1, height: 1,
                                    text: [("parameters", "café"), ("parameters", "東京"), ("", "no keyword"),
                                           (String(repeating: "k", count: 80), "too long"), ("bad\u{1}key", "x")])
        let read = try PNGReader(png)
        #expect(read.chunkTypes == ["IHDR", "tEXt", "iTXt", "IDAT", "IEND"])
        #expect(read.text.map(\.1) == ["café", "東京"])
    }

    /// A 1024×1024 photo-like image encodes in reasonable time (timing printed; the bound is loose
    /// because debug builds are slow).
    @Test func largeImageSpeed() throws {
        var grain = PNGFixtureImages.LCG(state: 5)
        let (w, h) = (1024, 1024)
        var rgb = [UInt8](repeating: 0, count: w * h * 3)
        for y in 0..<h {
            for x in 0..<w {
                let i = (y * w + x) * 3
                rgb[i] = UInt8((x / 4 + y / 8) & 255) &+ (grain.byte() & 7)
                rgb[i + 1] = UInt8(((x * y) >> 12) & 255)
                rgb[i + 2] = UInt8(128 + (x - y) / 16) &+ (grain.byte() & 3)
            }
        }
        var start = timespec(), end = timespec()
        clock_gettime(CLOCK_MONOTONIC, &start)
        let png = PNGEncoder.encode(rgb: rgb, width: w, height: h, text: [])
        clock_gettime(CLOCK_MONOTONIC, &end)
        let seconds = Double(end.tv_sec - start.tv_sec) + Double(end.tv_nsec - start.tv_nsec) / 1e9
        print("PNG 1024x1024: \(png.count) bytes (\(String(Double(png.count) / Double(rgb.count) * 100).prefix(5))% of raw) in \(String(seconds).prefix(6)) s")
        #expect(try PNGReader(png).rgb == rgb)
        #expect(png.count < rgb.count / 2)
        #expect(seconds < 30)
    }
}
