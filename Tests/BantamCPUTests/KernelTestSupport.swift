import BantamCore
import BantamCPU
import BantamTestSupport
import Testing

/// Helpers shared by the CPU kernel tests.
enum KernelTest {
    static let cpu = CPUBackend.shared
    static let floatTypes: [DType] = [.f32, .f16, .bf16]

    /// A random normal tensor stored as `dtype`, optionally with every value mapped by `transform` first
    /// (e.g. `abs` for sqrt); returns the tensor and its stored values.
    static func random(_ rng: inout TestRNG, _ shape: Shape, dtype: DType, scale: Float = 1,
                       on backend: any Backend = cpu,
                       transform: ((Float) -> Float)? = nil) throws -> (tensor: Tensor, values: [Double]) {
        var values = rng.normals(shape.count, scale: scale)
        if let transform { values = values.map(transform) }
        let t = try Tensor(values, shape: shape, dtype: dtype, on: backend)
        return (t, try t.floats().map(Double.init))
    }

    /// A fresh tensor filled with NaN, to prove a kernel writes every element.
    static func poisoned(_ shape: Shape, dtype: DType, on backend: any Backend = cpu) throws -> Tensor {
        let t = try backend.empty(shape, dtype: dtype)
        try backend.fill(t, value: .nan)
        return t
    }

    /// Checks `actual` against a float64 reference; `context` (with the seed) is printed on failure.
    static func expectClose(_ actual: Tensor, _ expected: [Double], _ tol: (atol: Double, rtol: Double),
                            _ context: @autoclosure () -> String,
                            sourceLocation: SourceLocation = #_sourceLocation) throws {
        let values = try actual.floats()
        let report = compare(values, expected, atol: tol.atol, rtol: tol.rtol)
        #expect(report.violations == 0, "\(context()): \(report)", sourceLocation: sourceLocation)
    }

    /// Bit patterns of a tensor's elements (as f32 bit patterns; exact for f32/f16/bf16).
    static func bits(_ t: Tensor) throws -> [UInt32] {
        try t.floats().map(\.bitPattern)
    }

    /// Shapes of rank 0–4 with odd sizes, including a 3072-wide row and rows that span several tiles.
    static let shapes: [Shape] = [[], [1], [3], [17], [33, 1], [3, 129], [2, 3072], [2, 3, 5, 7], [1, 1, 1, 1], [9000]]
}
