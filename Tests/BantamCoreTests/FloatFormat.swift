import BantamCore

/// One of the narrow float formats under test, described only by its scalar functions and its layout, so
/// that the property tests can derive an independent reference (the decode table) for the encoder.
struct FloatFormat: Sendable, CustomStringConvertible {
    let name: String
    /// Number of codes: 65536 or 256.
    let codeCount: Int
    let signBit: UInt32
    /// What happens past the largest finite value: IEEE formats round to ±Inf (the code of +Inf), e4m3fn
    /// (torch 2.13) saturates to ±448.
    let infinityCode: UInt32?
    let decode: @Sendable (UInt32) -> Float
    let encode: @Sendable (Float) -> UInt32

    var description: String { name }

    static let bf16 = FloatFormat(name: "bf16", codeCount: 65536, signBit: 0x8000, infinityCode: 0x7F80,
                                  decode: { FloatBits.float(fromBF16: UInt16($0)) },
                                  encode: { UInt32(FloatBits.bf16(fromFloat: $0)) })
    static let f16 = FloatFormat(name: "f16", codeCount: 65536, signBit: 0x8000, infinityCode: 0x7C00,
                                 decode: { FloatBits.float(fromF16: UInt16($0)) },
                                 encode: { UInt32(FloatBits.f16(fromFloat: $0)) })
    static let f8e4m3fn = FloatFormat(name: "f8e4m3fn", codeCount: 256, signBit: 0x80, infinityCode: nil,
                                      decode: { FloatBits.float(fromF8E4M3FN: UInt8($0)) },
                                      encode: { UInt32(FloatBits.f8e4m3fn(fromFloat: $0)) })
    static let f8e5m2 = FloatFormat(name: "f8e5m2", codeCount: 256, signBit: 0x80, infinityCode: 0x7C,
                                    decode: { FloatBits.float(fromF8E5M2: UInt8($0)) },
                                    encode: { UInt32(FloatBits.f8e5m2(fromFloat: $0)) })
    static let all: [FloatFormat] = [.bf16, .f16, .f8e4m3fn, .f8e5m2]

    /// The non-negative finite values in increasing order with their codes (from the decode table), plus,
    /// for IEEE formats, a virtual entry for +Inf at 2^(emax+1): the value a finite step past the largest
    /// finite one would have. Rounding to nearest-even against this list is IEEE's overflow rule.
    func referenceTable() -> (values: [Double], codes: [UInt32]) {
        var entries: [(Double, UInt32)] = []
        for code in 0..<UInt32(codeCount) where code & signBit == 0 {
            let v = decode(code)
            if v.isFinite { entries.append((Double(v), code)) }
        }
        entries.sort { $0.0 < $1.0 }
        if let infinityCode {
            let (maxValue, maxCode) = entries[entries.count - 1]
            let (below, _) = entries[entries.count - 2]
            // The step between the two largest finite values continues the last binade.
            entries.append((maxValue + (maxValue - below), infinityCode))
            precondition(maxCode & 1 == 1)
        }
        return (entries.map(\.0), entries.map(\.1))
    }
}

/// Round-to-nearest-even of `x` by searching the decode table: the reference the encoders are tested against.
struct NearestReference {
    let format: FloatFormat
    let values: [Double]
    let codes: [UInt32]

    init(_ format: FloatFormat) {
        self.format = format
        (values, codes) = format.referenceTable()
    }

    /// The code torch's cast should produce for a non-NaN `x`.
    func code(for x: Float) -> UInt32 {
        let sign: UInt32 = x.sign == .minus ? format.signBit : 0
        let m = Double(x.magnitude)
        if m >= values[values.count - 1] { return codes[codes.count - 1] | sign }   // Inf or saturation
        // Binary search: the last index with values[i] <= m.
        var lo = 0, hi = values.count - 1
        while hi - lo > 1 {
            let mid = (lo + hi) / 2
            if values[mid] <= m { lo = mid } else { hi = mid }
        }
        if values[lo] == m { return codes[lo] | sign }
        // values[lo] < m < values[hi]; 2m and the sum of neighbours are exact in Double.
        let twice = 2 * m, sum = values[lo] + values[hi]
        let pick = twice < sum ? lo : twice > sum ? hi : (codes[lo] & 1 == 0 ? lo : hi)
        return codes[pick] | sign
    }
}
