import BantamCore

// Float64 references for matrix products, and an FP8 decoder written from the format definitions
// (independent of BantamCore's FloatBits tables) for checking FP8 weights.

/// out[t, i, j] = Σ_p a[t, i, p] · b[t, p, j] in float64, for row-major a [batch, m, k] and b [batch, k, n].
public func referenceMatmul(_ a: [Double], _ b: [Double], batch: Int, m: Int, n: Int, k: Int) -> [Double] {
    precondition(a.count == batch * m * k && b.count == batch * k * n, "referenceMatmul: sizes do not match")
    var out = [Double](repeating: 0, count: batch * m * n)
    for t in 0..<batch {
        for i in 0..<m {
            for p in 0..<k {
                let av = a[(t * m + i) * k + p]
                let bRow = (t * k + p) * n
                let oRow = (t * m + i) * n
                for j in 0..<n { out[oRow + j] += av * b[bRow + j] }
            }
        }
    }
    return out
}

/// PyTorch's Linear in float64: out[r, j] = Σ_p x[r, p] · weight[j, p] + bias[j], for row-major
/// x [rows, k] and weight [n, k]; `bias` is nil or [n].
public func referenceLinear(_ x: [Double], weight: [Double], bias: [Double]?, rows: Int, n: Int, k: Int) -> [Double] {
    precondition(x.count == rows * k && weight.count == n * k && (bias?.count ?? n) == n, "referenceLinear: sizes do not match")
    var out = [Double](repeating: 0, count: rows * n)
    for r in 0..<rows {
        for j in 0..<n {
            var sum = 0.0
            for p in 0..<k { sum += x[r * k + p] * weight[j * k + p] }
            out[r * n + j] = sum + (bias?[j] ?? 0)
        }
    }
    return out
}

/// Transposes a row-major [rows, cols] matrix of values.
public func referenceTranspose(_ values: [Double], rows: Int, cols: Int) -> [Double] {
    var out = [Double](repeating: 0, count: values.count)
    for i in 0..<rows { for j in 0..<cols { out[j * rows + i] = values[i * cols + j] } }
    return out
}

/// The value of one FP8 byte, from the format definition: e4m3fn (bias 7, no infinities, S.1111.111 is
/// NaN) or e5m2 (bias 15, IEEE-like with infinities). Subnormals have exponent field 0.
public func referenceDecodeFP8(_ byte: UInt8, _ dtype: DType) -> Double {
    precondition(dtype.isFloat8, "referenceDecodeFP8: \(dtype) is not an FP8 dtype")
    let negative = byte & 0x80 != 0
    let (mantissaBits, bias): (Int, Int) = dtype == .f8e4m3fn ? (3, 7) : (2, 15)
    let exponentField = Int(byte & 0x7F) >> mantissaBits
    let mantissa = Double(Int(byte) & ((1 << mantissaBits) - 1))
    let scale = Double(1 << mantissaBits)
    let maxExponentField = (1 << (7 - mantissaBits)) - 1
    var value: Double
    if dtype == .f8e4m3fn && byte & 0x7F == 0x7F {
        return .nan
    } else if dtype == .f8e5m2 && exponentField == maxExponentField {
        if mantissa != 0 { return .nan }
        value = .infinity
    } else if exponentField == 0 {
        value = mantissa / scale * pow2(1 - bias)
    } else {
        value = (1 + mantissa / scale) * pow2(exponentField - bias)
    }
    return negative ? -value : value
}

/// 2^e for small integer e, exactly.
private func pow2(_ e: Int) -> Double {
    e >= 0 ? Double(1 << e) : 1 / Double(1 << -e)
}
