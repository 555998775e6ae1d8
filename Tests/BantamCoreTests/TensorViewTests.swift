import BantamCore
import BantamCPU
import BantamTestSupport
import Testing

/// A tensor described by index arithmetic alone: its shape and the value at each multi-index. Each view op
/// below transforms it the way the op is defined (PyTorch semantics), independently of strides.
struct ReferenceView: CustomStringConvertible {
    var shape: [Int]
    var value: ([Int]) -> Float

    var description: String { "\(shape)" }
    var flat: [Float] { allIndices(shape).map(value) }

    func permute(_ axes: [Int]) -> ReferenceView {
        let v = value
        return ReferenceView(shape: axes.map { shape[$0] }) { index in
            var old = [Int](repeating: 0, count: axes.count)
            for (i, a) in axes.enumerated() { old[a] = index[i] }
            return v(old)
        }
    }

    func slice(_ axis: Int, _ range: Range<Int>) -> ReferenceView {
        var s = shape
        s[axis] = range.count
        let v = value
        return ReferenceView(shape: s) { index in
            var old = index
            old[axis] += range.lowerBound
            return v(old)
        }
    }

    func unsqueeze(_ axis: Int) -> ReferenceView {
        var s = shape
        s.insert(1, at: axis)
        let v = value
        return ReferenceView(shape: s) { index in
            var old = index
            old.remove(at: axis)
            return v(old)
        }
    }

    func squeeze(_ axis: Int) -> ReferenceView {
        var s = shape
        s.remove(at: axis)
        let v = value
        return ReferenceView(shape: s) { index in
            var old = index
            old.insert(0, at: axis)
            return v(old)
        }
    }

    func expand(_ target: [Int]) -> ReferenceView {
        let lead = target.count - shape.count, old = shape, v = value
        return ReferenceView(shape: target) { index in
            v((0..<old.count).map { old[$0] == 1 ? 0 : index[lead + $0] })
        }
    }

    /// Any reshape: the same row-major sequence of values.
    func reshape(_ target: [Int]) -> ReferenceView {
        let old = shape, v = value
        return ReferenceView(shape: target) { index in v(unravel(ravel(index, target), old)) }
    }
}

@Suite("Tensor views")
struct TensorViewTests {
    let cpu = CPUBackend.shared

    /// 0, 1, 2, ... in `shape` (exact in f32) and its reference.
    func arange(_ shape: [Int], dtype: DType = .f32) throws -> (Tensor, ReferenceView) {
        let n = shape.reduce(1, *)
        let t = try Tensor((0..<n).map(Float.init), shape: Shape(shape), dtype: dtype, on: cpu)
        return (t, ReferenceView(shape: shape) { Float(ravel($0, shape)) })
    }

    func expectSame(_ t: Tensor, _ r: ReferenceView, _ what: String,
                    sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(t.shape.dims == r.shape, "\(what): shape \(t.shape), expected \(r.shape)", sourceLocation: sourceLocation)
        let got = try t.contiguous().floats()
        #expect(got == r.flat, "\(what): values \(got.prefix(12))..., expected \(r.flat.prefix(12))...",
                sourceLocation: sourceLocation)
    }

    @Test("each view op gives the right element order")
    func viewOrder() throws {
        let (x, r) = try arange([2, 3, 4])
        try expectSame(x.permute(2, 0, 1), r.permute([2, 0, 1]), "permute(2, 0, 1)")
        try expectSame(x.permute([1, 2, 0]), r.permute([1, 2, 0]), "permute([1, 2, 0])")
        try expectSame(x.transposed(0, 2), r.permute([2, 1, 0]), "transposed(0, 2)")
        try expectSame(x.transposed(-1, 1), r.permute([0, 2, 1]), "transposed(-1, 1)")
        try expectSame(x.T, r.permute([0, 2, 1]), "T")
        try expectSame(x.slice(axis: 1, 1..<3), r.slice(1, 1..<3), "slice(axis: 1)")
        try expectSame(x.slice(axis: -1, 1..<4), r.slice(2, 1..<4), "slice(axis: -1)")
        try expectSame(x.slice(axis: 0, 1..<1), r.slice(0, 1..<1), "empty slice")
        let parts = try x.split([1, 3], axis: 2)
        try expectSame(parts[0], r.slice(2, 0..<1), "split part 0")
        try expectSame(parts[1], r.slice(2, 1..<4), "split part 1")
        let chunks = try x.chunk(3, axis: 1)
        for (i, c) in chunks.enumerated() { try expectSame(c, r.slice(1, i..<(i + 1)), "chunk \(i)") }
        try expectSame(x.unsqueeze(0), r.unsqueeze(0), "unsqueeze(0)")
        try expectSame(x.unsqueeze(-1), r.unsqueeze(3), "unsqueeze(-1)")
        try expectSame(x.unsqueeze(2), r.unsqueeze(2), "unsqueeze(2)")
        try expectSame(x.unsqueeze(1).squeeze(1), r, "squeeze(unsqueeze)")
        try expectSame(x.slice(axis: 0, 1..<2).squeeze(0), r.slice(0, 1..<2).squeeze(0), "squeeze(0)")
        try expectSame(x.reshape(-1, 4), r.reshape([6, 4]), "reshape(-1, 4)")
        try expectSame(x.reshape(4, -1), r.reshape([4, 6]), "reshape(4, -1)")
        try expectSame(x.reshape(Shape([24])), r.reshape([24]), "reshape([24])")
        try expectSame(x.flatten(), r.reshape([24]), "flatten()")
        try expectSame(x.flatten(from: 1), r.reshape([2, 12]), "flatten(from: 1)")
        try expectSame(x.flatten(from: -1), r, "flatten(from: -1)")
        let (col, rc) = try arange([3, 1])
        try expectSame(col.expand(to: [2, 3, 4]), rc.expand([2, 3, 4]), "expand [3, 1] -> [2, 3, 4]")
        try expectSame(x.expand(to: [2, 3, 4]), r, "expand to the same shape")
        // Non-contiguous inputs: reshape and flatten must copy in the logical (row-major) order.
        let p = try x.permute(2, 0, 1)
        try expectSame(p.reshape(-1), r.permute([2, 0, 1]).reshape([24]), "reshape of a permuted view")
        try expectSame(p.flatten(from: 1), r.permute([2, 0, 1]).reshape([4, 6]), "flatten of a permuted view")
        try expectSame(p.slice(axis: 2, 1..<3).unsqueeze(1).T, r.permute([2, 0, 1]).slice(2, 1..<3).unsqueeze(1).permute([0, 1, 3, 2]),
                       "a chain of views")
    }

    @Test("random chains of views match index arithmetic", arguments: [DType.f32, .bf16, .f16, .i32, .u8])
    func randomChains(dtype: DType) throws {
        var rng = TestRNG()
        for trial in 0..<60 {
            let rank = Int(rng.next() % 4) + 1
            let shape = (0..<rank).map { _ in Int(rng.next() % 4) + 1 }
            var (t, r) = try arange(shape, dtype: dtype)
            var ops: [String] = []
            for _ in 0..<6 {
                let rank = t.rank
                switch rng.next() % 7 {
                case 0:
                    var axes = Array(0..<rank)
                    axes.shuffle(using: &rng)
                    (t, r) = (try t.permute(axes), r.permute(axes)); ops.append("permute\(axes)")
                case 1:
                    let a = Int(rng.next() % UInt64(rank)), n = t.shape[a]
                    let lo = Int(rng.next() % UInt64(n)), hi = lo + 1 + Int(rng.next() % UInt64(n - lo))
                    (t, r) = (try t.slice(axis: a, lo..<hi), r.slice(a, lo..<hi)); ops.append("slice(\(a), \(lo)..<\(hi))")
                case 2 where rank < 5:
                    let a = Int(rng.next() % UInt64(rank + 1))
                    (t, r) = (try t.unsqueeze(a), r.unsqueeze(a)); ops.append("unsqueeze(\(a))")
                case 3:
                    if let a = t.shape.dims.firstIndex(of: 1), rank > 1 {
                        (t, r) = (try t.squeeze(a), r.squeeze(a)); ops.append("squeeze(\(a))")
                    }
                case 4:
                    let target = [2] + t.shape.dims.map { $0 == 1 ? 3 : $0 }
                    if target.reduce(1, *) <= 2000 {
                        (t, r) = (try t.expand(to: Shape(target)), r.expand(target)); ops.append("expand(\(target))")
                    }
                case 5:
                    let a = Int(rng.next() % UInt64(rank)), b = Int(rng.next() % UInt64(rank))
                    var axes = Array(0..<rank)
                    axes.swapAt(a, b)
                    (t, r) = (try t.transposed(a, b), r.permute(axes)); ops.append("transposed(\(a), \(b))")
                default:
                    let n = t.count
                    let target = n % 2 == 0 && rng.next() % 2 == 0 ? [2, -1] : [-1]
                    let resolved = target.map { $0 == -1 ? n / (target.count == 2 ? 2 : 1) : $0 }
                    (t, r) = (try t.reshape(Shape(target)), r.reshape(resolved)); ops.append("reshape(\(target))")
                }
            }
            try expectSame(t, r, "\(dtype) trial \(trial) (seed \(rng.seed)) from \(shape): \(ops)")
        }
    }

    @Test("views share storage and copy nothing; writes through a view land in the base tensor")
    func sharing() throws {
        let (x, r) = try arange([2, 3, 4])
        let views: [Tensor] = [try x.permute(2, 0, 1), try x.slice(axis: 1, 1..<3), try x.unsqueeze(0),
                               try x.reshape(6, 4), try x.T, try x.split([1, 3], axis: 2)[1], try x.chunk(2, axis: 0)[1],
                               try x.flatten(), try x.slice(axis: 0, 0..<1).squeeze(0), try x.expand(to: [5, 2, 3, 4])]
        for v in views { #expect(v.storage === x.storage, "\(v.shape) does not share storage") }
        #expect(try x.slice(axis: 1, 1..<3).offset == 4)
        #expect(try x.chunk(2, axis: 0)[1].offset == 12)
        #expect(try x.permute(2, 0, 1).strides == [1, 12, 4])
        #expect(try x.expand(to: [5, 2, 3, 4]).strides == [0, 12, 4, 1])
        #expect(try x.contiguous().storage === x.storage)
        // Non-contiguous reshape copies.
        #expect(try x.T.reshape(-1).storage !== x.storage)
        #expect(try !x.T.isContiguous && x.unsqueeze(1).isContiguous && !x.slice(axis: 2, 0..<2).isContiguous)

        // Copy -1s into the [:, 1:3, ::] slice: the base sees them, in the right places.
        let base = try Tensor((0..<24).map(Float.init), shape: [2, 3, 4], on: cpu)
        let window = try base.slice(axis: 1, 1..<3)
        try cpu.copy(try Tensor.full(-1, shape: [2, 2, 4], on: cpu), into: window)
        let expected = allIndices([2, 3, 4]).map { i in i[1] >= 1 ? Float(-1) : r.value(i) }
        #expect(try base.floats() == expected)
        // Through a transposed view: base[i][j][k] = 100 + j*4 + k... written as the transpose.
        let target = try Tensor.zeros([2, 3, 4], on: cpu)
        let source = try Tensor((0..<24).map { Float($0) }, shape: [2, 4, 3], on: cpu)
        try cpu.copy(source, into: try target.transposed(1, 2))
        let want = allIndices([2, 3, 4]).map { i in Float(i[0] * 12 + i[2] * 3 + i[1]) }
        #expect(try target.floats() == want)
    }

    @Test("invalid view arguments throw TensorError with a useful message")
    func invalidArguments() throws {
        let (x, _) = try arange([2, 3, 4])
        expectTensorError(["reshape", "[2, 3, 4]", "[5, 5]"]) { try x.reshape(5, 5) }
        expectTensorError(["reshape", "invalid target shape"]) { try x.reshape(-1, -1) }
        expectTensorError(["reshape", "invalid target shape"]) { try x.reshape(-2, 12) }
        expectTensorError(["reshape", "[2, 3, 4]"]) { try x.reshape(5, -1) }
        expectTensorError(["permute", "[0, 0, 1]", "not a permutation", "[2, 3, 4]"]) { try x.permute(0, 0, 1) }
        expectTensorError(["permute", "[1, 0]"]) { try x.permute(1, 0) }
        expectTensorError(["transpose", "axis 3", "[2, 3, 4]"]) { try x.transposed(0, 3) }
        expectTensorError(["slice", "2..<5", "axis 1", "size 3"]) { try x.slice(axis: 1, 2..<5) }
        expectTensorError(["slice", "-1..<2"]) { try x.slice(axis: 1, -1..<2) }
        expectTensorError(["slice", "axis 4"]) { try x.slice(axis: 4, 0..<1) }
        expectTensorError(["split", "[1, 1]", "[2, 3, 4]"]) { try x.split([1, 1], axis: 1) }
        expectTensorError(["split", "[4, -1]"]) { try x.split([4, -1], axis: 1) }
        expectTensorError(["chunk", "2 equal parts", "[2, 3, 4]"]) { try x.chunk(2, axis: 1) }
        expectTensorError(["chunk", "0 equal parts"]) { try x.chunk(0, axis: 1) }
        expectTensorError(["unsqueeze", "axis 5", "[2, 3, 4]"]) { try x.unsqueeze(5) }
        expectTensorError(["unsqueeze", "axis -5"]) { try x.unsqueeze(-5) }
        expectTensorError(["squeeze", "axis 1", "size 3, not 1"]) { try x.squeeze(1) }
        expectTensorError(["expand", "[2, 3, 4]", "[2, 5, 4]"]) { try x.expand(to: [2, 5, 4]) }
        expectTensorError(["expand", "lower rank", "[3, 4]"]) { try x.expand(to: [3, 4]) }
        expectTensorError(["flatten", "axis 7"]) { try x.flatten(from: 7) }
        expectTensorError(["Tensor(values:)", "5 values", "[2, 3]"]) { try Tensor([1, 2, 3, 4, 5], shape: [2, 3], on: cpu) }
        expectTensorError(["Tensor(ints:)", "2 values", "[3]"]) { try Tensor(ints: [1, 2], shape: [3], on: cpu) }
        // Packed storage refuses strided views but allows whole-byte slices of the first axis.
        let packed = try Tensor((0..<8).map { Float($0) }, shape: [4, 2], dtype: .u4, on: cpu)
        expectTensorError(["permute", "packed u4"]) { try packed.permute(1, 0) }
        expectTensorError(["expand", "packed u4"]) { try packed.unsqueeze(0).expand(to: [3, 4, 2]) }
        expectTensorError(["slice", "packed u4"]) { try packed.slice(axis: 1, 0..<1) }
        #expect(try packed.slice(axis: 0, 1..<3).ints() == [2, 3, 4, 5])
    }
}
