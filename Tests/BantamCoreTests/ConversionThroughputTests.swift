import BantamCore
import BantamTestSupport
import Dispatch
import Testing

/// Rough speed of the hot bulk conversions (weights are converted row by row), single thread, on rows that
/// fit in cache. Prints elements per second; in release builds it also fails if a path is pathologically
/// slow (under 25 M elements/s, far below the ~0.3-8 G/s these loops reach when vectorized).
@Suite("Conversion throughput")
struct ConversionThroughputTests {
    static func rate(_ count: Int, _ body: () -> Void) -> Double {
        body()
        var best = 0.0
        for _ in 0..<5 {
            let start = DispatchTime.now().uptimeNanoseconds
            var done = 0
            repeat { body(); done += count } while DispatchTime.now().uptimeNanoseconds - start < 8_000_000
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
            best = max(best, Double(done) / seconds)
        }
        return best
    }

    @Test("bf16 and f16 bulk decode/encode throughput", arguments: [DType.bf16, .f16])
    func throughput(dtype: DType) {
        var rng = TestRNG()
        let count = 16384 + 7   // an odd row length: the tail is handled too
        let values = rng.normals(count, scale: 3)
        var packed = [UInt8](repeating: 0, count: 2 * count)
        var decoded = [Float](repeating: 0, count: count)
        let encodeRate = values.withUnsafeBufferPointer { src in
            packed.withUnsafeMutableBytes { dst in
                Self.rate(count) { ElementConversion.encode(dtype, from: src.baseAddress!, count: count, into: dst.baseAddress!) }
            }
        }
        let decodeRate = packed.withUnsafeBytes { src in
            decoded.withUnsafeMutableBufferPointer { dst in
                Self.rate(count) { ElementConversion.decode(dtype, from: src.baseAddress!, count: count, into: dst.baseAddress!) }
            }
        }
        print("\(dtype) bulk encode: \(Int(encodeRate / 1e6)) M elements/s; decode: \(Int(decodeRate / 1e6)) M elements/s")
        // The timed loops really converted: the round trip equals the scalar functions.
        let want = values.map { dtype == .bf16 ? FloatBits.float(fromBF16: FloatBits.bf16(fromFloat: $0))
                                               : FloatBits.float(fromF16: FloatBits.f16(fromFloat: $0)) }
        #expect(decoded == want)
        #if !DEBUG
        #expect(encodeRate > 25e6 && decodeRate > 25e6,
                "\(dtype): encode \(encodeRate / 1e6) M/s, decode \(decodeRate / 1e6) M/s: a hot loop stopped vectorizing?")
        #endif
    }
}
