import BantamCore

/// Products with very few rows of A (a batch-1 linear, a matrix-vector product).
///
/// Packing B costs a read and a write of all of B, which the blocked path repays over many rows of A;
/// with a handful of rows the product is bound by reading B once, so B is read in place instead: as dot
/// products when its columns are contiguous along K (a transposed [N, K] weight), or as row updates when
/// its rows are contiguous (a row-major [K, N] matrix). Each output element is still one f32 sum in a
/// fixed order, so the result does not depend on the thread count.
extension Gemm {
    /// Largest m that takes this path.
    static let smallRowLimit = 4

    /// c = a · b (+ c when `accumulate`) for m ≤ `smallRowLimit`, k ≥ 1. Returns false, having done
    /// nothing, when B has no unit stride (the blocked path then packs it).
    static func multiplySmallM(m: Int, n: Int, k: Int, a: MatrixOperand, b: MatrixOperand,
                               c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool, threads: Int) -> Bool {
        guard m <= smallRowLimit, k > 0, b.rowStride == 1 || b.colStride == 1 else { return false }
        let threads = m * n * k < parallelThreshold ? 1 : threads
        // A's rows, decoded once: aRows[i·k + p].
        let aRows = GemmWorkspace.allocate(m * k)
        defer { aRows.deallocate() }
        for i in 0..<m {
            RowIO.read(a.base, a.dtype, start: i * a.rowStride, count: k, stride: a.colStride, into: aRows + i * k)
        }
        let shared = UncheckedSendable((UnsafePointer(aRows), c))
        if b.rowStride == 1 {
            // Column j of B is contiguous along K: c[i, j] = dot(a row i, column j).
            Parallel.forEach(n, threads: threads, grain: 16) { columns in
                let scratch = GemmWorkspace.allocate(k)
                defer { scratch.deallocate() }
                for j in columns {
                    let column: UnsafePointer<Float>
                    if b.dtype == .f32 {
                        column = b.base.assumingMemoryBound(to: Float.self) + j * b.colStride
                    } else {
                        RowIO.read(b.base, b.dtype, start: j * b.colStride, count: k, stride: 1, into: scratch)
                        column = UnsafePointer(scratch)
                    }
                    for i in 0..<m {
                        let sum = dot(shared.value.0 + i * k, column, count: k)
                        let out = shared.value.1 + (i * ldc + j)
                        out.pointee = accumulate ? out.pointee + sum : sum
                    }
                }
            }
        } else {
            // Row p of B is contiguous along N: each task owns `width` columns and adds a[i, p] · B[p, cols]
            // into an f32 accumulator per row of A, over all p. Tasks are as wide as the thread count allows
            // (up to 4096 columns, 64 KiB of sums), so B is read in long runs rather than short strided
            // pieces that the prefetcher and the TLB handle badly.
            let width = min(4096, (((n + threads - 1) / threads) + 63) / 64 * 64)
            Parallel.forEach((n + width - 1) / width, threads: threads) { tasks in
                let sums = GemmWorkspace.allocate(m * width), scratch = GemmWorkspace.allocate(4 * width)
                // Stands in for missing rows at the end of K (scale 0 × 0, never 0 × ∞ = NaN).
                let zeros = GemmWorkspace.allocate(width)
                zeros.initialize(repeating: 0, count: width)
                // Row p of B from column j0: in place for f32, else decoded into `into`.
                func row(_ p: Int, _ j0: Int, _ count: Int, _ into: UnsafeMutablePointer<Float>) -> UnsafePointer<Float> {
                    if b.dtype == .f32 {
                        return b.base.assumingMemoryBound(to: Float.self) + (p * b.rowStride + j0)
                    }
                    RowIO.read(b.base, b.dtype, start: p * b.rowStride + j0, count: count, stride: 1, into: into)
                    return UnsafePointer(into)
                }
                defer { sums.deallocate(); scratch.deallocate(); zeros.deallocate() }
                for task in tasks {
                    let j0 = task * width, count = min(width, n - j0)
                    sums.update(repeating: 0, count: m * width)
                    // Four rows of B per pass over the sums (a quarter of the sums' traffic), then the rest.
                    var p = 0
                    while p < k {
                        let steps = min(4, k - p)
                        var rows: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>)
                        rows.0 = row(p, j0, count, scratch)
                        rows.1 = steps > 1 ? row(p + 1, j0, count, scratch + width) : UnsafePointer(zeros)
                        rows.2 = steps > 2 ? row(p + 2, j0, count, scratch + 2 * width) : UnsafePointer(zeros)
                        rows.3 = steps > 3 ? row(p + 3, j0, count, scratch + 3 * width) : UnsafePointer(zeros)
                        for i in 0..<m {
                            let a = shared.value.0 + (i * k + p)
                            let scales = SIMD4<Float>(a[0], steps > 1 ? a[1] : 0, steps > 2 ? a[2] : 0, steps > 3 ? a[3] : 0)
                            addScaled(scales, rows, into: sums + i * width, count: count)
                        }
                        p += steps
                    }
                    for i in 0..<m {
                        let out = shared.value.1 + (i * ldc + j0), sum = sums + i * width
                        if accumulate {
                            for x in 0..<count { out[x] += sum[x] }
                        } else {
                            out.update(from: sum, count: count)
                        }
                    }
                }
            }
        }
        return true
    }

    /// Σ x[p]·y[p] with 16 running lane sums, then the lanes, then the tail.
    @inline(__always)
    private static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Float {
        typealias V = SIMD8<Float>
        let xr = UnsafeRawPointer(x), yr = UnsafeRawPointer(y)
        var s0 = V(), s1 = V()
        var p = 0
        while p &+ 16 <= count {
            s0 += xr.loadUnaligned(fromByteOffset: p &* 4, as: V.self) * yr.loadUnaligned(fromByteOffset: p &* 4, as: V.self)
            s1 += xr.loadUnaligned(fromByteOffset: p &* 4 &+ 32, as: V.self)
                * yr.loadUnaligned(fromByteOffset: p &* 4 &+ 32, as: V.self)
            p &+= 16
        }
        var sum = (s0 + s1).sum()
        while p < count {
            sum += x[p] * y[p]
            p &+= 1
        }
        return sum
    }

    /// y[x] += Σ_r scales[r] · rows.r[x] for x < count (scales of unused rows are 0).
    @inline(__always)
    private static func addScaled(_ scales: SIMD4<Float>,
                                  _ rows: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>),
                                  into y: UnsafeMutablePointer<Float>, count: Int) {
        typealias V = SIMD8<Float>
        let r0 = UnsafeRawPointer(rows.0), r1 = UnsafeRawPointer(rows.1)
        let r2 = UnsafeRawPointer(rows.2), r3 = UnsafeRawPointer(rows.3), yr = UnsafeMutableRawPointer(y)
        let s0 = V(repeating: scales[0]), s1 = V(repeating: scales[1])
        let s2 = V(repeating: scales[2]), s3 = V(repeating: scales[3])
        var x = 0
        while x &+ 8 <= count {
            let o = x &* 4
            var v = yr.loadUnaligned(fromByteOffset: o, as: V.self)
            v += s0 * r0.loadUnaligned(fromByteOffset: o, as: V.self)
            v += s1 * r1.loadUnaligned(fromByteOffset: o, as: V.self)
            v += s2 * r2.loadUnaligned(fromByteOffset: o, as: V.self)
            v += s3 * r3.loadUnaligned(fromByteOffset: o, as: V.self)
            yr.storeBytes(of: v, toByteOffset: o, as: V.self)
            x &+= 8
        }
        while x < count {
            var v = y[x]
            v += scales[0] * rows.0[x]
            v += scales[1] * rows.1[x]
            v += scales[2] * rows.2[x]
            v += scales[3] * rows.3[x]
            y[x] = v
            x &+= 1
        }
    }
}
