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
