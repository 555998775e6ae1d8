import BantamCore
import BantamCUDA
import BantamTestSupport
import Testing

@Suite struct StridedLayoutTests {
    @Test func mergesWhatItCan() {
        // Contiguous: one axis.
        #expect(StridedLayout.collapse(shape: [2, 3, 4], strides: [[12, 4, 1], [12, 4, 1]])
                == StridedLayout(sizes: [24], strides: [[1], [1]]))
        // A transposed source keeps two axes; size-1 axes vanish.
        #expect(StridedLayout.collapse(shape: [3, 1, 4], strides: [[1, 1, 3], [4, 4, 1]])
                == StridedLayout(sizes: [3, 4], strides: [[1, 3], [4, 1]]))
        // A broadcast (stride 0) axis stays separate.
        #expect(StridedLayout.collapse(shape: [5, 6], strides: [[0, 1], [6, 1]])
                == StridedLayout(sizes: [5, 6], strides: [[0, 1], [6, 1]]))
        // A single element, and a scalar.
        #expect(StridedLayout.collapse(shape: [1, 1], strides: [[7, 3]]) == StridedLayout(sizes: [1], strides: [[0]]))
        #expect(StridedLayout.collapse(shape: [], strides: [[]]) == StridedLayout(sizes: [1], strides: [[0]]))
    }

    /// Random views (permuted, sliced, expanded): the merged layout visits the same offsets in the same order.
    @Test func collapsePreservesOffsets() {
        var rng = TestRNG()
        for _ in 0..<300 {
            let rank = 1 + Int(rng.next() % 6)
            let shape = (0..<rank).map { _ in [1, 1, 2, 3, 5][Int(rng.next() % 5)] }
            // Operand 0: a permutation of a larger contiguous tensor (sliced); operand 1: contiguous.
            var order = Array(0..<rank)
            for i in stride(from: rank - 1, to: 0, by: -1) { order.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
            let padded = shape.map { $0 + Int(rng.next() % 2) }
            var base = [Int](repeating: 0, count: rank), running = 1
            for axis in order.reversed() { base[axis] = running; running *= padded[axis] }
            let strided = base.enumerated().map { rng.next() % 7 == 0 ? 0 : $0.element }    // some broadcasts
            let dense = Shape(shape).contiguousStrides
            let layout = StridedLayout.collapse(shape: shape, strides: [strided, dense])
            #expect(layout.count == shape.reduce(1, *))
            #expect(layout.rank <= rank)
            for o in 0..<2 {
                let expected = Self.offsets(shape, o == 0 ? strided : dense)
                #expect(Self.offsets(layout.sizes, layout.strides[o]) == expected, "seed \(rng.seed) \(shape) \(strided)")
            }
        }
    }

    static func offsets(_ shape: [Int], _ strides: [Int]) -> [Int] {
        let count = shape.reduce(1, *)
        return (0..<count).map { i in
            var rest = i, offset = 0
            for a in stride(from: shape.count - 1, through: 0, by: -1) {
                offset += (rest % shape[a]) * strides[a]
                rest /= shape[a]
            }
            return offset
        }
    }

    @Test func indexWidth() {
        #expect(StridedLayout(sizes: [1 << 20], strides: [[1], [1]]).fitsInt32)
        #expect(!StridedLayout(sizes: [1 << 31], strides: [[1], [1]]).fitsInt32)
        #expect(!StridedLayout(sizes: [2, 1 << 20], strides: [[1 << 31, 1], [1 << 20, 1]]).fitsInt32)
        #expect(StridedLayout(sizes: [2, 1 << 20], strides: [[1 << 30, 1], [1 << 20, 1]]).fitsInt32)
        #expect(StridedLayout(sizes: [2, 1 << 20], strides: [[0, 1], [1 << 20, 1]]).fitsInt32)
    }

    @Test func dtypeCodesMatchTheKernelHeader() throws {
        // common.cuh defines BT_F64 0 ... BT_BOOL 11 in DType order.
        let header = try #require(KernelSources.file(named: "common.cuh")).text
        let names = ["F64", "F32", "F16", "BF16", "E4M3", "E5M2", "I64", "I32", "I16", "I8", "U8", "BOOL"]
        let dtypes: [DType] = [.f64, .f32, .f16, .bf16, .f8e4m3fn, .f8e5m2, .i64, .i32, .i16, .i8, .u8, .bool]
        for (name, dtype) in zip(names, dtypes) {
            #expect(header.contains("#define BT_\(name) \(dtype.cudaCode!)\n"), "BT_\(name)")
        }
        #expect(DType.u4.cudaCode == nil)
    }
}

extension StridedLayoutTests {
    /// Random same-dtype copies whose rows are contiguous: the widened layout covers exactly the same bytes,
    /// in the same order, in whole units.
    @Test func widenedUnitsCoverTheSameBytes() {
        var rng = TestRNG()
        var widenedCount = 0
        for _ in 0..<400 {
            let width = [1, 2, 4, 8][Int(rng.next() % 4)]
            let rank = 2 + Int(rng.next() % 3)
            let shape = (0..<rank).map { _ in [1, 2, 3, 4, 8, 16][Int(rng.next() % 6)] }
            // Source: a permutation of the outer axes of a padded contiguous tensor (last axis kept).
            var order = Array(0..<(rank - 1))
            for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
            var srcStrides = [Int](repeating: 1, count: rank)
            var running = shape[rank - 1] + (rng.next() % 2 == 0 ? 0 : 8)
            for axis in order.reversed() { srcStrides[axis] = running; running *= shape[axis] }
            let dstStrides = Shape(shape).contiguousStrides
            let layout = StridedLayout.collapse(shape: shape, strides: [srcStrides, dstStrides])
            let addresses: [UInt64] = [UInt64(rng.next() % 4) * 16, UInt64(rng.next() % 2) * 8]
            guard let (wide, unit) = layout.widened(elementBytes: width, addresses: addresses) else { continue }
            widenedCount += 1
            #expect(unit > width && [2, 4, 8, 16].contains(unit))
            for o in 0..<2 {
                #expect(addresses[o] % UInt64(unit) == 0)
                let bytes = Self.offsets(layout.sizes, layout.strides[o]).flatMap { e in (0..<width).map { e * width + $0 } }
                let wideBytes = Self.offsets(wide.sizes, wide.strides[o]).flatMap { u in (0..<unit).map { u * unit + $0 } }
                #expect(bytes == wideBytes, "seed \(rng.seed): \(shape) width \(width) unit \(unit)")
            }
        }
        #expect(widenedCount > 50)
        // A transposed last axis or an unaligned address: no widening.
        #expect(StridedLayout(sizes: [4, 8], strides: [[1, 4], [8, 1]]).widened(elementBytes: 2, addresses: [0, 0]) == nil)
        #expect(StridedLayout(sizes: [4, 8], strides: [[8, 1], [8, 1]]).widened(elementBytes: 2, addresses: [2, 0]) == nil)
        #expect(StridedLayout(sizes: [4, 8], strides: [[16, 1], [8, 1]]).widened(elementBytes: 2, addresses: [0, 0])?.unitBytes == 16)
        #expect(StridedLayout(sizes: [4, 8], strides: [[16, 1], [8, 1]]).widened(elementBytes: 2, addresses: [4, 0])?.unitBytes == 4)
    }

    @Test func transposeDetection() {
        // [R, C]ᵀ of a contiguous matrix: source stride 1 along axis 0.
        #expect(StridedLayout.collapse(shape: [45, 67], strides: [[1, 45], [67, 1]]).transposeRowAxis == 0)
        // Batched: [B, C, R] -> [B, R, C].
        #expect(StridedLayout.collapse(shape: [3, 33, 40], strides: [[1320, 1, 33], [1320, 40, 1]]).transposeRowAxis == 1)
        // Rows kept, too small, or the destination not contiguous along the last axis: no.
        #expect(StridedLayout.collapse(shape: [24, 33, 128], strides: [[128, 3072, 1], [4224, 128, 1]]).transposeRowAxis == nil)
        #expect(StridedLayout.collapse(shape: [5, 33], strides: [[1, 5], [33, 1]]).transposeRowAxis == nil)
        #expect(StridedLayout.collapse(shape: [45, 67], strides: [[67, 1], [1, 45]]).transposeRowAxis == nil)
    }
}
