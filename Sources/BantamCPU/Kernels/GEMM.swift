import BantamCore

/// A matrix operand of any float dtype and strides: element (i, j) is at
/// `base + (i·rowStride + j·colStride)` elements.
struct MatrixOperand: @unchecked Sendable {
    let base: UnsafeRawPointer
    let dtype: DType
    let rowStride: Int
    let colStride: Int
}

/// Single-precision matrix multiply: the engine behind matmul, linear, attention and conv2d.
enum Gemm {
    /// c[m×n] (f32, row stride ldc) = a[m×k] · b[k×n], plus the old c when `accumulate`.
    /// Uses up to `threads` threads.
    static func multiply(m: Int, n: Int, k: Int, a: MatrixOperand, b: MatrixOperand,
                         c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool, threads: Int) {
        // Reference loop: rows of a decoded to f32, columns accumulated in f32.
        let cc = UncheckedSendable(c)
        Parallel.forEach(m, threads: threads) { rows in
            let aRow = UnsafeMutablePointer<Float>.allocate(capacity: max(k, 1))
            let bRow = UnsafeMutablePointer<Float>.allocate(capacity: max(n, 1))
            defer { aRow.deallocate(); bRow.deallocate() }
            for i in rows {
                RowIO.read(a.base, a.dtype, start: i * a.rowStride, count: k, stride: a.colStride, into: aRow)
                let out = cc.value + i * ldc
                if !accumulate { out.initialize(repeating: 0, count: n) }
                for p in 0..<k {
                    RowIO.read(b.base, b.dtype, start: p * b.rowStride, count: n, stride: b.colStride, into: bRow)
                    let av = aRow[p]
                    for j in 0..<n { out[j] += av * bRow[j] }
                }
            }
        }
    }
}
