import BantamCore
import BantamTestSupport
import Testing

@Suite("Shape and DType")
struct ShapeTests {
    @Test("broadcast follows NumPy rules (examples)")
    func broadcastExamples() throws {
        let cases: [(Shape, Shape, Shape)] = [
            ([3, 1, 5], [4, 5], [3, 4, 5]), ([], [2, 3], [2, 3]), ([1], [7], [7]), ([2, 1], [1, 3], [2, 3]),
            ([5, 1, 1], [1, 6, 1], [5, 6, 1]), ([1], [0], [0]), ([2, 0], [1, 1], [2, 0]), ([4], [4], [4]),
        ]
        for (a, b, expected) in cases {
            #expect(try Shape.broadcast(a, b, op: "add") == expected, "\(a) with \(b)")
            #expect(try Shape.broadcast(b, a, op: "add") == expected, "\(b) with \(a)")
        }
    }

    @Test("broadcast of incompatible shapes throws a message naming the op and both shapes")
    func broadcastError() {
        for (a, b) in [(Shape([2]), Shape([3])), ([2, 3], [3, 2]), ([4, 1, 5], [4, 6]), ([0], [2])] {
            expectTensorError(["mul", "\(a)", "\(b)", "broadcast"]) { try Shape.broadcast(a, b, op: "mul") }
        }
    }

    @Test("broadcast of random compatible shapes matches the per-axis rule")
    func broadcastRandom() throws {
        var rng = TestRNG()
        for _ in 0..<500 {
            let rank = Int(rng.next() % 5)
            let full = (0..<rank).map { _ in Int(rng.next() % 4) + 1 }
            // Each operand drops some leading axes and sets some axes to 1.
            func operand() -> [Int] {
                let drop = Int(rng.next() % UInt64(rank + 1))
                return full.dropFirst(drop).map { rng.next() % 3 == 0 ? 1 : $0 }
            }
            let a = operand(), b = operand()
            let result = try Shape.broadcast(Shape(a), Shape(b), op: "t")
            let r = max(a.count, b.count)
            let pa = [Int](repeating: 1, count: r - a.count) + a, pb = [Int](repeating: 1, count: r - b.count) + b
            #expect(result.dims == zip(pa, pb).map { max($0, $1) }, "seed \(rng.seed): \(a) with \(b) gave \(result)")
        }
    }

    @Test("contiguousStrides, count and axis")
    func strides() throws {
        #expect(Shape([2, 3, 4]).contiguousStrides == [12, 4, 1])
        #expect(Shape([7]).contiguousStrides == [1])
        #expect(Shape([]).contiguousStrides == [])
        #expect(Shape([]).count == 1)
        #expect(Shape([1, 5, 1]).contiguousStrides == [5, 1, 1])
        #expect(Shape([3, 1, 2, 5]).count == 30)
        #expect(try Shape([2, 3, 4]).axis(-1) == 2)
        #expect(try Shape([2, 3, 4]).axis(-3) == 0)
        expectTensorError(["softmax", "axis 3", "[2, 3, 4]"]) { try Shape([2, 3, 4]).axis(3, op: "softmax") }
        expectTensorError(["axis -4"]) { try Shape([2, 3, 4]).axis(-4) }
    }

    @Test("DType byte counts, packed u4 included")
    func byteCounts() throws {
        let widths: [DType: Int] = [.f64: 8, .f32: 4, .f16: 2, .bf16: 2, .f8e4m3fn: 1, .f8e5m2: 1, .i64: 8, .i32: 4,
                                    .i16: 2, .i8: 1, .u8: 1, .bool: 1]
        for dtype in DType.allCases where dtype != .u4 {
            #expect(dtype.byteWidth == widths[dtype])
            #expect(try dtype.byteCount(elements: 7) == 7 * widths[dtype]!)
            #expect(!dtype.isPacked)
        }
        #expect(DType.u4.isPacked && DType.u4.byteWidth == nil && DType.u4.elementsPerBlock == 2)
        #expect(try DType.u4.byteCount(elements: 0) == 0)
        #expect(try DType.u4.byteCount(elements: 8) == 4)
        expectTensorError(["7 elements of u4", "whole blocks of 2"]) { try DType.u4.byteCount(elements: 7) }
        expectTensorError(["negative element count -1"]) { try DType.f32.byteCount(elements: -1) }
        expectTensorError(["overflow"]) { try DType.f64.byteCount(elements: Int.max / 4) }
        #expect(DType.f8e4m3fn.isFloat8 && DType.f8e5m2.isFloat8 && !DType.bf16.isFloat8)
        #expect(DType.allCases.filter(\.isComputeFloat) == [.f32, .f16, .bf16])
    }
}
