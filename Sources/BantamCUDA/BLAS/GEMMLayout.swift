import BantamCore

/// A matrix as cuBLASLt stores it: column-major, `rows` × `cols` with leading dimension `ld` (elements
/// between the starts of consecutive columns), used as op(stored) = storedᵀ when `transposed`.
public struct ColumnMajorMatrix: Hashable, Sendable, CustomStringConvertible {
    public var transposed: Bool
    public var rows: Int
    public var cols: Int
    public var ld: Int

    public init(transposed: Bool, rows: Int, cols: Int, ld: Int) {
        self.transposed = transposed; self.rows = rows; self.cols = cols; self.ld = ld
    }

    /// Shape of op(stored): what the GEMM multiplies.
    public var logicalRows: Int { transposed ? cols : rows }
    public var logicalCols: Int { transposed ? rows : cols }

    /// Element offset of logical (i, j) of op(stored) in memory: what cuBLASLt reads.
    public func offset(_ i: Int, _ j: Int) -> Int {
        transposed ? j + i * ld : i + j * ld
    }

    public var description: String { "\(rows)x\(cols) ld \(ld)\(transposed ? " T" : " N")" }
}

/// Pure mapping between Bantam's row-major strided views and cuBLASLt's column-major operands.
///
/// cuBLASLt computes D (m × n, column-major) = op(A) (m × k) · op(B) (k × n). A row-major [M, N] output with
/// rows of N elements is, read column-major, the N × M matrix outᵀ; so `out = a · b` becomes
/// `outᵀ = bᵀ · aᵀ`: cuBLASLt's A is our b (transposed view), its B is our a, m = N, n = M. A Linear
/// (x [R, K] · Wᵀ with W [N, K] row-major) becomes A = W stored K × N used transposed, B = x stored K × R
/// used as is: the "TN" layout that FP8 tensor cores require.
public enum GEMMLayout {
    /// How cuBLASLt can read the logical R × C matrix whose element (i, j) lies at `i·rowStride + j·colStride`:
    /// column-major as is (rows contiguous down a column), or as the transpose of a column-major matrix
    /// (row-major data). Nil when neither works (e.g. two non-unit strides, or a broadcast with stride 0
    /// along a dimension of size > 1): the caller copies the operand contiguously first.
    public static func columnMajor(rows r: Int, cols c: Int, rowStride rs: Int, colStride cs: Int) -> ColumnMajorMatrix? {
        // Row-major: each row contiguous (colStride 1), rows ld apart (ld >= C; any when there is one row).
        if c == 1 || cs == 1 {
            if r == 1 { return ColumnMajorMatrix(transposed: true, rows: c, cols: r, ld: max(c, 1)) }
            if rs >= max(c, 1) { return ColumnMajorMatrix(transposed: true, rows: c, cols: r, ld: rs) }
        }
        // Column-major: each column contiguous (rowStride 1), columns ld apart.
        if r == 1 || rs == 1 {
            if c == 1 { return ColumnMajorMatrix(transposed: false, rows: r, cols: c, ld: max(r, 1)) }
            if cs >= max(r, 1) { return ColumnMajorMatrix(transposed: false, rows: r, cols: c, ld: cs) }
        }
        return nil
    }

    /// The cuBLASLt operands of out [M, N] (row-major, contiguous) = a [M, K] · b [K, N] for views with the
    /// given (row, column) strides: (A, B, D) with m = N, n = M, k = K. Nil entries need a contiguous copy
    /// of that input (A for `b`, B for `a`).
    public static func matmul(m: Int, n: Int, k: Int, aStrides: (Int, Int), bStrides: (Int, Int))
        -> (a: ColumnMajorMatrix?, b: ColumnMajorMatrix?, d: ColumnMajorMatrix) {
        // op(A) = bᵀ: N × K, element (j, p) = b(p, j).
        let aOperand = columnMajor(rows: n, cols: k, rowStride: bStrides.1, colStride: bStrides.0)
        // op(B) = aᵀ: K × M, element (p, i) = a(i, p).
        let bOperand = columnMajor(rows: k, cols: m, rowStride: aStrides.1, colStride: aStrides.0)
        let d = ColumnMajorMatrix(transposed: false, rows: n, cols: m, ld: max(n, 1))
        return (aOperand, bOperand, d)
    }

    /// The operands of a Linear: out [R, N] = x [R, K] · Wᵀ with x rows `xRowStride` apart (unit column
    /// stride, xRowStride >= K) and W [N, K] contiguous: A = W (K × N, ld K, transposed), B = x (K × R,
    /// ld xRowStride, as is), D (N × R, ld N). Always this "TN" form, also for R = 1 or N = 1 where the
    /// generic mapping could pick the other equivalent one: FP8 GEMMs accept only TN.
    public static func linear(rows: Int, n: Int, k: Int, xRowStride: Int) -> (a: ColumnMajorMatrix, b: ColumnMajorMatrix, d: ColumnMajorMatrix) {
        (ColumnMajorMatrix(transposed: true, rows: k, cols: n, ld: max(k, 1)),
         ColumnMajorMatrix(transposed: false, rows: k, cols: rows, ld: max(xRowStride, k, 1)),
         ColumnMajorMatrix(transposed: false, rows: n, cols: rows, ld: max(n, 1)))
    }

    /// Largest power of two (at most 256) dividing every address of a batched operand: the base address and,
    /// when there is more than one matrix, the byte stride between matrices. cuBLASLt picks kernels by it.
    public static func alignment(address: UInt64, batchStrideBytes: Int, batch: Int) -> Int {
        var value = address | 256
        if batch > 1 && batchStrideBytes != 0 { value |= UInt64(truncatingIfNeeded: batchStrideBytes) }
        return Int(value & (~value &+ 1))
    }

    /// Whether a batched matmul with a broadcast right operand (stride 0) can run as one GEMM with
    /// batch·M rows: the left matrices must follow each other at `M·rowStride` with unit column stride.
    public static func foldsBatchIntoRows(batch: Int, m: Int, aBatchStride: Int, aStrides: (Int, Int), bBatchStride: Int) -> Bool {
        batch > 1 && bBatchStride == 0 && aStrides.1 == 1 && aStrides.0 >= 1 && aBatchStride == m * aStrides.0
    }
}
