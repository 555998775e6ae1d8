import BantamCore
import BantamCPU
import BantamTestSupport
import Testing

/// Nearest upsampling is a pure element copy: outputs are compared byte for byte with the reference
/// index rule out[y, x] = in[y / f, x / f], for every non-packed dtype (random bit patterns, NaN payloads
/// included).
@Suite struct UpsampleTests {
    let cpu = CPUBackend.shared

    /// A tensor of `dtype` whose bytes are random (bool: 0 or 1).
    func randomBytes(_ shape: Shape, _ dtype: DType, rng: inout TestRNG, on backend: CPUBackend) throws -> Tensor {
        let width = dtype.byteWidth!
        let host = HostBuffer(byteCount: shape.count * width)
        for i in 0..<host.byteCount {
            let byte = UInt8(truncatingIfNeeded: rng.next())
            host.base.storeBytes(of: dtype == .bool ? byte & 1 : byte, toByteOffset: i, as: UInt8.self)
        }
        return try backend.makeTensor(host: host, byteOffset: 0, dtype: dtype, shape: shape)
    }

    /// The elements of a tensor as byte groups.
    func elements(_ t: Tensor) throws -> [[UInt8]] {
        let bytes = Array(try t.hostBuffer().bytes)
        let width = t.dtype.byteWidth!
        return stride(from: 0, to: bytes.count, by: width).map { Array(bytes[$0..<($0 + width)]) }
    }

    static let dtypes = DType.allCases.filter { !$0.isPacked }

    @Test(arguments: dtypes, [1, 2, 3])
    func copiesElementsExactly(dtype: DType, factor: Int) throws {
        var rng = TestRNG()
        for dims in [[1, 1, 1, 1], [2, 3, 5, 7], [1, 2, 33, 17]] {
            let x = try randomBytes(Shape(dims), dtype, rng: &rng, on: cpu)
            let out = try upsampleNearest2d(x, factor: factor)
            #expect(out.shape == [dims[0], dims[1], dims[2] * factor, dims[3] * factor] && out.dtype == dtype)
            let expected = referenceUpsampleNearest(try elements(x), shape: dims, factor: factor)
            #expect(try elements(out) == expected, "seed \(rng.seed) \(dtype) \(dims) ×\(factor)")
        }
    }

    /// Every output byte written (output pre-filled with 0xAB, kernel called directly); 1 and 2 threads agree.
    @Test(arguments: [DType.f32, .bf16, .u8, .f64], [2, 3])
    func poisonedOutputAndThreads(dtype: DType, factor: Int) throws {
        var rng = TestRNG()
        let dims = [2, 3, 17, 9]
        let x = try randomBytes(Shape(dims), dtype, rng: &rng, on: cpu)
        let expected = referenceUpsampleNearest(try elements(x), shape: dims, factor: factor)
        let outShape: Shape = [2, 3, 17 * factor, 9 * factor]
        for backend in [CPUBackend(threads: 1), CPUBackend(threads: 2)] {
            let input = try x.to(backend)
            let out = try backend.empty(outShape, dtype: dtype)
            let host = try out.hostBuffer()
            host.base.initializeMemory(as: UInt8.self, repeating: 0xAB, count: host.byteCount)
            try backend.upsampleNearest2d(input, factor: factor, into: out)
            #expect(try elements(out) == expected, "seed \(rng.seed) \(dtype) ×\(factor) threads \(backend.threads)")
        }
    }
}
