import BantamCore

/// Float64 references for attention and rotary embeddings, written as the textbook formulas.

/// softmax(q·kᵀ·scale + bias [+ causal mask])·v for q [B, H, Lq, D], k [B, H, Lk, D], v [B, H, Lk, Dv]
/// (row-major values) -> [B, H, Lq, Dv].
/// - bias: additive, of shape `biasShape` [B or 1, H or 1, Lq or 1, Lk or 1] (broadcast over the axes of size 1).
/// - causal: query i sees keys j ≤ i (top-left, PyTorch's `is_causal`).
/// Rows with every score −inf give zeros, as PyTorch 2.13 does.
public func referenceAttention(q: [Double], k: [Double], v: [Double], batch: Int, heads: Int, lq: Int, lk: Int,
                               d: Int, dv: Int, bias: [Double]? = nil, biasShape: [Int]? = nil,
                               causal: Bool = false, scale: Double) -> [Double] {
    var out = [Double](repeating: 0, count: batch * heads * lq * dv)
    var scores = [Double](repeating: 0, count: lk)
    for b in 0..<batch {
        for h in 0..<heads {
            let bh = b * heads + h
            for i in 0..<lq {
                for j in 0..<lk {
                    var dot = 0.0
                    for c in 0..<d { dot += q[(bh * lq + i) * d + c] * k[(bh * lk + j) * d + c] }
                    var s = dot * scale
                    if let bias, let shape = biasShape {
                        let bb = shape[0] == 1 ? 0 : b, hh = shape[1] == 1 ? 0 : h
                        let ii = shape[2] == 1 ? 0 : i, jj = shape[3] == 1 ? 0 : j
                        s += bias[((bb * shape[1] + hh) * shape[2] + ii) * shape[3] + jj]
                    }
                    if causal && j > i { s = -.infinity }
                    scores[j] = s
                }
                let m = scores.max() ?? -.infinity
                guard m > -.infinity else { continue }   // fully masked (or no keys): zeros
                var sum = 0.0
                for j in 0..<lk {
                    scores[j] = _expDouble(scores[j] - m)
                    sum += scores[j]
                }
                for c in 0..<dv {
                    var acc = 0.0
                    for j in 0..<lk { acc += scores[j] * v[(bh * lk + j) * dv + c] }
                    out[(bh * lq + i) * dv + c] = acc / sum
                }
            }
        }
    }
    return out
}

/// Rotary embedding of x [rows, L, D] (rows = B·H) with cos, sin [L, D/2]: pair j of a row at position l
/// is rotated by (cos[l, j], sin[l, j]); `.interleaved` pairs (2j, 2j+1), `.halves` pairs (j, j + D/2).
public func referenceRope(x: [Double], cos: [Double], sin: [Double], rows: Int, l: Int, d: Int,
                          style: RopeStyle) -> [Double] {
    var out = x
    let half = d / 2
    for r in 0..<rows {
        for p in 0..<l {
            let base = (r * l + p) * d
            for j in 0..<half {
                let (i0, i1) = style == .interleaved ? (base + 2 * j, base + 2 * j + 1) : (base + j, base + j + half)
                let (c, s) = (cos[p * half + j], sin[p * half + j])
                out[i0] = c * x[i0] - s * x[i1]
                out[i1] = s * x[i0] + c * x[i1]
            }
        }
    }
    return out
}

#if canImport(Glibc)
import Glibc
@inline(__always) public func _expDouble(_ x: Double) -> Double { Glibc.exp(x) }
#else
import Darwin
@inline(__always) public func _expDouble(_ x: Double) -> Double { Darwin.exp(x) }
#endif
