import BantamCore
import BantamCPU
import BantamTestSupport
import Testing

/// embedding: rows copied exactly, ids of any shape, out-of-range ids rejected before anything is written.
@Suite struct EmbeddingTests {
    let cpu = KernelTest.cpu

    @Test(arguments: [DType.i32, .i64])
    func rowsAreCopiedExactly(_ idType: DType) throws {
        var rng = TestRNG()
        for dtype in KernelTest.floatTypes {
            for (idShape, vocab, dim): (Shape, Int, Int) in [([], 5, 3), ([1], 1, 1), ([7], 33, 17), ([2, 3], 129, 64),
                                                             ([2, 2, 5], 97, 3072), ([0], 4, 3)] {
                let (table, tv) = try KernelTest.random(&rng, [vocab, dim], dtype: dtype)
                let ids = (0..<idShape.count).map { _ in Int(rng.next() % UInt64(vocab)) }
                let idTensor = try Tensor(ints: ids, shape: idShape, dtype: idType, on: cpu)
                let y = try embedding(idTensor, table: table)
                #expect(y.shape == Shape(idShape.dims + [dim]) && y.dtype == dtype)
                try KernelTest.expectClose(y, Reference.embedding(ids, table: tv, dim: dim), (0, 0),
                                           "embedding \(idType) \(dtype) \(idShape) seed \(rng.seed)")
            }
        }
    }

    /// Out-of-range and negative ids throw a message naming the id and the vocabulary, and leave `out`
    /// untouched (every id is checked before any row is written).
    @Test func badIdsThrowBeforeWriting() throws {
        let table = try Tensor.zeros([10, 4], on: cpu)
        for bad in [10, -1, 1 << 40] {
            let ids = try Tensor(ints: [0, 3, bad, 1], shape: [4], dtype: .i64, on: cpu)
            let out = try KernelTest.poisoned([4, 4], dtype: .f32)
            do {
                try cpu.embedding(ids: ids, table: table, into: out)
                Issue.record("id \(bad) did not throw")
            } catch let error as TensorError {
                guard case .invalidArgument(let message) = error else { Issue.record("wrong error \(error)"); continue }
                #expect(message.contains("\(bad)") && message.contains("10"), "\(message)")
            }
            #expect(try out.floats().allSatisfy(\.isNaN), "out was written before the bad id \(bad) was found")
            #expect(throws: TensorError.self) { try embedding(ids, table: table) }
        }
    }

    /// A transposed table (non-contiguous, through the kernel directly and through the op), and a
    /// table whose dtype differs from the output (decoded and re-encoded).
    @Test func stridedTablesAndCasts() throws {
        var rng = TestRNG()
        let (stored, sv) = try KernelTest.random(&rng, [6, 11], dtype: .bf16)   // [dim, vocab]
        let table = try stored.transposed(0, 1)                                  // [11, 6], column stride 11
        let tableValues = Reference.permute(sv, [6, 11], [1, 0])
        let ids = [10, 0, 5, 5, 3]
        let idTensor = try Tensor(ints: ids, shape: [5], on: cpu)
        let direct = try KernelTest.poisoned([5, 6], dtype: .bf16)
        try cpu.embedding(ids: idTensor, table: table, into: direct)
        let expected = Reference.embedding(ids, table: tableValues, dim: 6)
        try KernelTest.expectClose(direct, expected, (0, 0), "strided table, seed \(rng.seed)")
        try KernelTest.expectClose(try embedding(idTensor, table: table), expected, (0, 0), "strided table via op, seed \(rng.seed)")
        let widened = try KernelTest.poisoned([5, 6], dtype: .f32)
        try cpu.embedding(ids: idTensor, table: table, into: widened)
        try KernelTest.expectClose(widened, expected, (0, 0), "bf16 table into f32, seed \(rng.seed)")
    }

    @Test func threadCountsAgree() throws {
        var rng = TestRNG()
        let one = CPUBackend(threads: 1), two = CPUBackend(threads: 2)
        let values = rng.normals(500 * 256)
        let ids = (0..<777).map { _ in Int(rng.next() % 500) }
        func run(_ backend: CPUBackend) throws -> [UInt32] {
            let table = try Tensor(values, shape: [500, 256], dtype: .f16, on: backend)
            return try KernelTest.bits(embedding(try Tensor(ints: ids, shape: [777], on: backend), table: table))
        }
        #expect(try run(one) == run(two), "seed \(rng.seed)")
    }
}
