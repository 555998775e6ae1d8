/// Reductions over one contiguous f32 row, shared by the norm, softmax and reduce kernels.
///
/// Sums are *pairwise*: a row is halved recursively down to blocks of at most `block` elements; each block
/// accumulates into 16 independent lanes (two SIMD8 registers, so the loop vectorizes without reordering
/// rules the compiler would refuse), and the lanes are added in a fixed order. The rounding error grows like
/// (16 + log2(n/block))·ε instead of n·ε for a running sum, and the result depends only on the row, never on
/// how rows were split across threads (so 1 and N threads give bit-identical results).
enum RowMath {
    /// Largest run summed directly (a multiple of 16).
    static let block = 256

    /// Σ p[i].
    static func sum(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
        pairwise(n) { start, count in blockSum(p + start, count) }
    }

    /// Σ p[i]².
    static func sumOfSquares(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
        pairwise(n) { start, count in blockSumOfSquares(p + start, count) }
    }

    /// Σ (p[i] − center) and Σ (p[i] − center)²: the second pass of the *corrected* two-pass variance
    /// (Chan, Golub & LeVeque). With center = the f32 mean, the first sum measures what rounding the mean to
    /// f32 lost, so mean = center + Σ/n and M2 = Σ² − (Σ)²/n are accurate even when |mean| ≫ std.
    static func centeredMoments(_ p: UnsafePointer<Float>, _ n: Int, about center: Float) -> (sum: Float, squares: Float) {
        func go(_ start: Int, _ count: Int) -> (Float, Float) {
            if count <= block { return blockCenteredMoments(p + start, count, center) }
            let half = (count / 2 + 15) & ~15
            let (a1, a2) = go(start, half), (b1, b2) = go(start + half, count - half)
            return (a1 + b1, a2 + b2)
        }
        let (s1, s2) = go(0, n)
        return (s1, s2)
    }

    /// The largest element, or NaN when any element is NaN (like torch's `amax`); −inf for an empty row.
    static func max(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
        var m = SIMD8<Float>(repeating: -.infinity)
        var i = 0
        while i + 8 <= n {
            m = nanMax(m, load8(p + i))
            i += 8
        }
        var result = -Float.infinity
        for lane in 0..<8 { result = nanMax(result, m[lane]) }
        while i < n {
            result = nanMax(result, p[i])
            i += 1
        }
        return result
    }

    // MARK: building blocks

    /// max(a, b) that returns NaN when either is NaN (a lane that once held NaN stays NaN).
    @inline(__always)
    static func nanMax(_ a: Float, _ b: Float) -> Float { (a > b || a.isNaN) ? a : b }

    @inline(__always)
    static func nanMax(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> {
        // Keep a where a > b or a is NaN; otherwise take b (which carries b's NaN in).
        a.replacing(with: b, where: .!(a .> b .| a .!= a))
    }

    @inline(__always)
    static func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }

    /// Splits 0..<n in halves until a piece fits in `block`, then adds the pieces' sums back pairwise.
    @inline(__always)
    private static func pairwise(_ n: Int, _ leaf: (Int, Int) -> Float) -> Float {
        func go(_ start: Int, _ count: Int) -> Float {
            if count <= block { return leaf(start, count) }
            // Split on a multiple of 16 so blocks keep whole SIMD steps.
            let half = (count / 2 + 15) & ~15
            return go(start, half) + go(start + half, count - half)
        }
        return go(0, n)
    }

    /// Adds the 16 lanes in a fixed order, then the tail.
    @inline(__always)
    private static func finish(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> Float {
        (a + b).sum()
    }

    private static func blockSum(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
        var a = SIMD8<Float>(), b = SIMD8<Float>()
        var i = 0
        while i + 16 <= n {
            a += load8(p + i)
            b += load8(p + i + 8)
            i += 16
        }
        var tail: Float = 0
        while i < n { tail += p[i]; i += 1 }
        return finish(a, b) + tail
    }

    private static func blockSumOfSquares(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
        var a = SIMD8<Float>(), b = SIMD8<Float>()
        var i = 0
        while i + 16 <= n {
            let x = load8(p + i), y = load8(p + i + 8)
            a += x * x
            b += y * y
            i += 16
        }
        var tail: Float = 0
        while i < n { tail += p[i] * p[i]; i += 1 }
        return finish(a, b) + tail
    }

    private static func blockCenteredMoments(_ p: UnsafePointer<Float>, _ n: Int, _ center: Float) -> (Float, Float) {
        let c = SIMD8<Float>(repeating: center)
        var a = SIMD8<Float>(), b = SIMD8<Float>(), a2 = SIMD8<Float>(), b2 = SIMD8<Float>()
        var i = 0
        while i + 16 <= n {
            let x = load8(p + i) - c, y = load8(p + i + 8) - c
            a += x
            b += y
            a2 += x * x
            b2 += y * y
            i += 16
        }
        var tail: Float = 0, tail2: Float = 0
        while i < n { let d = p[i] - center; tail += d; tail2 += d * d; i += 1 }
        return (finish(a, b) + tail, finish(a2, b2) + tail2)
    }
}
