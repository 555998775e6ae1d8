import BantamCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Float64 references for the normalizations and softmax (row-major inputs, statistics in f64).
extension Reference {
    /// LayerNorm over rows of length `d`: (x − mean)/√(var + eps)·w + b with the biased variance.
    public static func layerNorm(_ x: [Double], d: Int, weight: [Double]?, bias: [Double]?, eps: Double) -> [Double] {
        var out = [Double](repeating: 0, count: x.count)
        for start in stride(from: 0, to: x.count, by: d) {
            let row = x[start..<(start + d)]
            let mean = row.reduce(0, +) / Double(d)
            let variance = row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(d)
            let rstd = 1 / (variance + eps).squareRoot()
            for i in 0..<d {
                out[start + i] = (x[start + i] - mean) * rstd * (weight?[i] ?? 1) + (bias?[i] ?? 0)
            }
        }
        return out
    }

    /// RMSNorm over rows of length `d`: x/√(mean(x²) + eps)·w.
    public static func rmsNorm(_ x: [Double], d: Int, weight: [Double]?, eps: Double) -> [Double] {
        var out = [Double](repeating: 0, count: x.count)
        for start in stride(from: 0, to: x.count, by: d) {
            let meanSquare = x[start..<(start + d)].reduce(0) { $0 + $1 * $1 } / Double(d)
            let rstd = 1 / (meanSquare + eps).squareRoot()
            for i in 0..<d { out[start + i] = x[start + i] * rstd * (weight?[i] ?? 1) }
        }
        return out
    }

    /// GroupNorm of x [n, c, s] (row-major) with `groups` groups; weight and bias [c].
    public static func groupNorm(_ x: [Double], n: Int, c: Int, s: Int, groups: Int,
                                 weight: [Double]?, bias: [Double]?, eps: Double) -> [Double] {
        var out = [Double](repeating: 0, count: x.count)
        let block = c / groups * s
        for g in 0..<(n * groups) {
            let range = (g * block)..<((g + 1) * block)
            let mean = x[range].reduce(0, +) / Double(block)
            let variance = x[range].reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(block)
            let rstd = 1 / (variance + eps).squareRoot()
            for i in range {
                let channel = (i / s) % c
                out[i] = (x[i] - mean) * rstd * (weight?[channel] ?? 1) + (bias?[channel] ?? 0)
            }
        }
        return out
    }

    /// Softmax over rows of length `d`, with torch's edge cases (an all −inf row, or one holding +inf or
    /// NaN, is NaN throughout).
    public static func softmax(_ x: [Double], d: Int) -> [Double] {
        var out = [Double](repeating: 0, count: x.count)
        for start in stride(from: 0, to: x.count, by: d) {
            let row = x[start..<(start + d)]
            if row.contains(where: { $0.isNaN || $0 == .infinity }) || row.allSatisfy({ $0 == -.infinity }) {
                for i in 0..<d { out[start + i] = .nan }
                continue
            }
            let m = row.max()!
            let e = row.map { exp($0 - m) }
            let total = e.reduce(0, +)
            for i in 0..<d { out[start + i] = e[i] / total }
        }
        return out
    }
}
