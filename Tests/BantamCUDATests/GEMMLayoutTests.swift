import BantamCUDA
import Testing

/// The row-major ↔ column-major mapping of GEMM operands, checked by emulating what cuBLASLt computes from
/// the mapped descriptions (column-major D = op(A)·op(B) read through each ColumnMajorMatrix) on strided
/// buffers, and comparing with the row-major product computed directly.
@Suite struct GEMMLayoutTests {
    /// A strided R × C matrix in a flat buffer: element (i, j) at base + i·rowStride + j·colStride.
    struct Strided {
        var rows: Int, cols: Int, rowStride: Int, colStride: Int, base: Int
        var bufferSize: Int { base + max(0, rows - 1) * rowStride + max(0, cols - 1) * colStride + 1 }
        func index(_ i: Int, _ j: Int) -> Int { base + i * rowStride + j * colStride }
    }

    /// Layouts of an R × C matrix: row-major, column-major, padded versions of both, a view with an offset.
    static func layouts(_ r: Int, _ c: Int, rng: inout SplitMix) -> [Strided] {
        let padR = Int(rng.next() % 5), padC = Int(rng.next() % 5), base = Int(rng.next() % 3)
        return [Strided(rows: r, cols: c, rowStride: c, colStride: 1, base: 0),
                Strided(rows: r, cols: c, rowStride: 1, colStride: r, base: 0),
                Strided(rows: r, cols: c, rowStride: c + padR, colStride: 1, base: base),
                Strided(rows: r, cols: c, rowStride: 1, colStride: r + padC, base: base)]
    }

    struct SplitMix {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func value() -> Double { Double(next() >> 11) * 0x1p-53 * 2 - 1 }
    }

    @Test func matmulMappingComputesTheRowMajorProduct() throws {
        let seed = UInt64.random(in: 0...UInt64.max)
        var rng = SplitMix(state: seed)
        for (m, n, k) in [(1, 1, 1), (3, 7, 17), (7, 1, 33), (1, 9, 5), (17, 33, 1), (33, 17, 129)] {
            for aLayout in Self.layouts(m, k, rng: &rng) {
                for bLayout in Self.layouts(k, n, rng: &rng) {
                    let aData = (0..<aLayout.bufferSize).map { _ in rng.value() }
                    let bData = (0..<bLayout.bufferSize).map { _ in rng.value() }
                    let mapping = GEMMLayout.matmul(m: m, n: n, k: k, aStrides: (aLayout.rowStride, aLayout.colStride),
                                                    bStrides: (bLayout.rowStride, bLayout.colStride))
                    let cuA = try #require(mapping.a, "seed \(seed): b \(bLayout) not mapped")
                    let cuB = try #require(mapping.b, "seed \(seed): a \(aLayout) not mapped")
                    #expect(cuA.logicalRows == n && cuA.logicalCols == k && cuB.logicalRows == k && cuB.logicalCols == m)
                    #expect(cuA.ld >= max(1, cuA.rows) && cuB.ld >= max(1, cuB.rows), "seed \(seed)")
                    // cuBLASLt: D (n × m here, column-major, ld d.ld) = op(A) · op(B), A read at b's base, B at a's.
                    var d = [Double](repeating: .nan, count: mapping.d.ld * m)
                    for i in 0..<n {
                        for j in 0..<m {
                            var sum = 0.0
                            for p in 0..<k { sum += bData[bLayout.base + cuA.offset(i, p)] * aData[aLayout.base + cuB.offset(p, j)] }
                            d[i + j * mapping.d.ld] = sum
                        }
                    }
                    // D column-major is out row-major [m, n] with rows n apart.
                    for i in 0..<m {
                        for j in 0..<n {
                            var expected = 0.0
                            for p in 0..<k { expected += aData[aLayout.index(i, p)] * bData[bLayout.index(p, j)] }
                            #expect(abs(d[i * n + j] - expected) < 1e-12, "seed \(seed): \(m)x\(n)x\(k) a \(aLayout) b \(bLayout) at (\(i), \(j))")
                        }
                    }
                }
            }
        }
    }

    @Test func unexpressibleLayoutsNeedACopy() {
        // Two non-unit strides (a column of a 3-D tensor), overlapping rows, a broadcast along a real axis.
        #expect(GEMMLayout.columnMajor(rows: 17, cols: 33, rowStride: 66, colStride: 2) == nil)
        #expect(GEMMLayout.columnMajor(rows: 5, cols: 8, rowStride: 4, colStride: 1) == nil)
        #expect(GEMMLayout.columnMajor(rows: 5, cols: 8, rowStride: 0, colStride: 1) == nil)
        #expect(GEMMLayout.columnMajor(rows: 5, cols: 8, rowStride: 1, colStride: 0) == nil)
        // Size-1 axes accept any stride there.
        #expect(GEMMLayout.columnMajor(rows: 1, cols: 8, rowStride: 0, colStride: 1) == ColumnMajorMatrix(transposed: true, rows: 8, cols: 1, ld: 8))
        #expect(GEMMLayout.columnMajor(rows: 8, cols: 1, rowStride: 1, colStride: 12345) == ColumnMajorMatrix(transposed: true, rows: 1, cols: 8, ld: 1))
        #expect(GEMMLayout.columnMajor(rows: 8, cols: 1, rowStride: 3, colStride: 0) == ColumnMajorMatrix(transposed: true, rows: 1, cols: 8, ld: 3))
    }

    @Test func linearIsTheTNLayout() {
        let (a, b, d) = GEMMLayout.linear(rows: 4608, n: 9216, k: 3072, xRowStride: 3072)
        #expect(a == ColumnMajorMatrix(transposed: true, rows: 3072, cols: 9216, ld: 3072))
        #expect(b == ColumnMajorMatrix(transposed: false, rows: 3072, cols: 4608, ld: 3072))
        #expect(d == ColumnMajorMatrix(transposed: false, rows: 9216, cols: 4608, ld: 9216))
        // One row, one output: still TN (FP8 needs it).
        #expect(GEMMLayout.linear(rows: 1, n: 1, k: 64, xRowStride: 64) == (ColumnMajorMatrix(transposed: true, rows: 64, cols: 1, ld: 64),
                                                                          ColumnMajorMatrix(transposed: false, rows: 64, cols: 1, ld: 64),
                                                                          ColumnMajorMatrix(transposed: false, rows: 1, cols: 1, ld: 1)))
        // A sliced x keeps its row stride as the leading dimension.
        #expect(GEMMLayout.linear(rows: 31, n: 24, k: 64, xRowStride: 80).b == ColumnMajorMatrix(transposed: false, rows: 64, cols: 31, ld: 80))
    }

    @Test func alignmentIsTheLargestPowerOfTwoUpTo256() {
        #expect(GEMMLayout.alignment(address: 0x7f00_0000_0000, batchStrideBytes: 0, batch: 1) == 256)
        #expect(GEMMLayout.alignment(address: 0x7f00_0000_0010, batchStrideBytes: 0, batch: 1) == 16)
        #expect(GEMMLayout.alignment(address: 0x7f00_0000_0002, batchStrideBytes: 0, batch: 1) == 2)
        #expect(GEMMLayout.alignment(address: 0x7f00_0000_0000, batchStrideBytes: 34, batch: 3) == 2)
        #expect(GEMMLayout.alignment(address: 0x7f00_0000_0000, batchStrideBytes: 34, batch: 1) == 256)
        #expect(GEMMLayout.alignment(address: 0x7f00_0000_0040, batchStrideBytes: 0, batch: 4) == 64)   // broadcast
    }

    @Test func batchFoldsOnlyForABroadcastRightOperandAndEvenlySpacedRows() {
        #expect(GEMMLayout.foldsBatchIntoRows(batch: 4, m: 33, aBatchStride: 33 * 17, aStrides: (17, 1), bBatchStride: 0))
        #expect(!GEMMLayout.foldsBatchIntoRows(batch: 4, m: 33, aBatchStride: 33 * 17, aStrides: (17, 1), bBatchStride: 17 * 29))
        #expect(!GEMMLayout.foldsBatchIntoRows(batch: 4, m: 33, aBatchStride: 17, aStrides: (68, 1), bBatchStride: 0))
        #expect(!GEMMLayout.foldsBatchIntoRows(batch: 4, m: 33, aBatchStride: 33 * 17, aStrides: (1, 33), bBatchStride: 0))
        #expect(!GEMMLayout.foldsBatchIntoRows(batch: 1, m: 33, aBatchStride: 0, aStrides: (17, 1), bBatchStride: 0))
    }
}
