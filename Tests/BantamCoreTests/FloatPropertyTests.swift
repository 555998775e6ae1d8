import BantamCore
import BantamTestSupport
import Testing

/// Properties of the narrow float formats that need no goldens: exhaustive over every code, and a few
/// million random f32 values checked against round-to-nearest-even found by searching the decode table
/// (an independent reference: no bit tricks).
@Suite("Float conversion properties")
struct FloatPropertyTests {
    @Test("decode then encode is the identity on every non-NaN code; NaN codes stay NaN", arguments: FloatFormat.all)
    func roundTrip(format: FloatFormat) {
        var log = MismatchLog("\(format) encode(decode(code))")
        for code in 0..<UInt32(format.codeCount) {
            let v = format.decode(code)
            let back = format.encode(v)
            if v.isNaN {
                if !format.decode(back).isNaN { log.record(input: code, expected: code, got: back, digits: 4) }
            } else if back != code {
                log.record(input: code, expected: code, got: back, digits: 4)
            }
        }
        #expect(log.count == 0, "\(log.summary)")
    }

    @Test("decode is sign-symmetric and strictly increasing over the positive codes", arguments: FloatFormat.all)
    func decodeOrder(format: FloatFormat) {
        var previous = -Float.infinity
        var problems: [String] = []
        for code in 0..<UInt32(format.codeCount) where code & format.signBit == 0 {
            let v = format.decode(code), negative = format.decode(code | format.signBit)
            if v.isNaN { if !negative.isNaN { problems.append("code \(code): NaN but its negative is \(negative)") }; continue }
            if negative.bitPattern != (-v).bitPattern { problems.append("code \(code): -(\(v)) decodes as \(negative)") }
            if !(v > previous) && code != 0 { problems.append("code \(code): \(v) does not exceed \(previous)") }
            previous = v
        }
        #expect(problems.isEmpty, "\(format): \(problems.prefix(5))")
    }

    @Test("encode is monotonic over every value, midpoint and neighbouring f32 of the format", arguments: FloatFormat.all)
    func monotonic(format: FloatFormat) {
        let table = format.referenceTable().values
        var inputs: [Float] = []
        for (i, v) in table.enumerated() {
            let candidates = [Float(v)] + (i + 1 < table.count ? [Float((v + table[i + 1]) / 2)] : [])
            for c in candidates where c.isFinite {
                inputs += [c, c.nextUp, c.nextDown, -c, -c.nextUp, -c.nextDown]
            }
        }
        inputs += [.infinity, -.infinity, .greatestFiniteMagnitude, -.greatestFiniteMagnitude]
        inputs.sort()
        var previous = -Float.infinity, previousInput = -Float.infinity
        var problems: [String] = []
        for x in inputs {
            let y = format.decode(format.encode(x))
            if y < previous { problems.append("encode(\(x)) = \(y) < encode(\(previousInput)) = \(previous)") }
            previous = y
            previousInput = x
        }
        #expect(problems.isEmpty, "\(format): \(problems.prefix(5))")
    }

    @Test("encode is the nearest representable value (ties to even) for random f32, by table search",
          arguments: FloatFormat.all)
    func nearestByTableSearch(format: FloatFormat) {
        let reference = NearestReference(format)
        var rng = TestRNG()
        let seed = rng.seed
        let values = reference.values
        // f32 exponent range that covers the format's subnormals to past its largest value.
        let largestFinite = values.last { Float($0).isFinite }!   // the table may end with +Inf at 2^128
        let smallest = Float(values[1]).exponent, largest = Float(largestFinite).exponent
        let exponents = (Int(smallest) - 3)...(Int(largest) + 2)
        var log = MismatchLog("\(format) encode vs nearest-even table search (seed \(seed))")
        #if DEBUG
        let samples = 100_000        // unoptimized builds are ~30x slower
        #else
        let samples = 750_000        // per format: 3 million in all
        #endif
        for k in 0..<samples {
            let r = rng.next()
            let x: Float
            switch k % 8 {
            case 0:   // any f32 bit pattern
                x = Float(bitPattern: UInt32(truncatingIfNeeded: r))
            case 1, 2:   // a midpoint between two neighbouring values (an exact tie), or one f32 ulp away
                let i = Int(r % UInt64(values.count - 1))
                let mid = Float((values[i] + values[i + 1]) / 2)
                let nudged = [mid, mid.nextUp, mid.nextDown][Int((r >> 32) % 3)]
                x = (r >> 40) & 1 == 0 ? nudged : -nudged
            default:   // uniform exponent over the format's range, random mantissa and sign
                let e = exponents.lowerBound + Int((r >> 32) % UInt64(exponents.count))
                let magnitude = Float(sign: .plus, exponent: e, significand: 1 + Float(r & 0x7F_FFFF) * 0x1p-23)
                x = (r >> 63) == 0 ? magnitude : -magnitude
            }
            let got = format.encode(x)
            if x.isNaN {
                if !format.decode(got).isNaN { log.record(input: x.bitPattern, expected: 0xFFFF, got: got) }
                continue
            }
            let expected = reference.code(for: x)
            if got != expected { log.record(input: x.bitPattern, expected: expected, got: got) }
        }
        #expect(log.count == 0, "\(log.summary)")
    }

    @Test("NaN inputs encode to NaN with torch's sign rule", arguments: FloatFormat.all)
    func nanEncode(format: FloatFormat) {
        var rng = TestRNG()
        var problems: [String] = []
        for _ in 0..<10_000 {
            let payload = UInt32(truncatingIfNeeded: rng.next()) & 0x7F_FFFF | 1
            let bits = 0x7F80_0000 | payload | (rng.next() & 1 == 0 ? 0 : 0x8000_0000)
            let code = format.encode(Float(bitPattern: bits))
            guard format.decode(code).isNaN else { problems.append("0x\(hex(bits, 8)) -> 0x\(hex(code, 4))"); continue }
            // bf16 writes c10's canonical 0x7FC0; the others keep the sign, as all of torch's paths do.
            let signKept = (code & format.signBit != 0) == (bits >> 31 == 1)
            if format.name == "bf16" ? code != 0x7FC0 : !signKept { problems.append("0x\(hex(bits, 8)) -> 0x\(hex(code, 4))") }
        }
        #expect(problems.isEmpty, "\(format) (seed \(rng.seed)): \(problems.prefix(5))")
    }

    @Test("saturating FP8 encodes clamp to the largest finite value and keep NaN")
    func saturating() {
        var rng = TestRNG()
        var problems: [String] = []
        for k in 0..<200_000 {
            let x = k < 8 ? [Float.infinity, -Float.infinity, 1e30, -1e30, 464, 480, 61440, 65536][k]
                          : Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()))
            let e4 = FloatBits.f8e4m3fnSaturating(fromFloat: x), e5 = FloatBits.f8e5m2Saturating(fromFloat: x)
            if x.isNaN {
                if !FloatBits.float(fromF8E4M3FN: e4).isNaN || !FloatBits.float(fromF8E5M2: e5).isNaN { problems.append("NaN \(x)") }
                continue
            }
            let clamped4 = min(max(x, -448), 448), clamped5 = min(max(x, -57344), 57344)
            if e4 != FloatBits.f8e4m3fn(fromFloat: clamped4) { problems.append("e4m3fn \(x)") }
            if e5 != FloatBits.f8e5m2(fromFloat: clamped5) { problems.append("e5m2 \(x)") }
            if !FloatBits.float(fromF8E4M3FN: e4).isFinite || !FloatBits.float(fromF8E5M2: e5).isFinite {
                problems.append("non-finite saturated result for \(x)")
            }
        }
        #expect(FloatBits.f8e4m3fnSaturating(fromFloat: .infinity) == 0x7E)
        #expect(FloatBits.f8e5m2Saturating(fromFloat: -.infinity) == 0xFB)
        #expect(problems.isEmpty, "seed \(rng.seed): \(problems.prefix(5))")
    }
}
