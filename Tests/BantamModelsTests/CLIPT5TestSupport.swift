import BantamCore
import BantamCPU
import BantamIO
import BantamTestSupport
import Testing

/// Fixtures and helpers shared by the CLIP and T5 tests.
enum TextEncoderTest {
    static let cpu = CPUBackend.shared

    /// A file or folder of the tiny FLUX fixtures (scripts/goldens/flux_tiny_goldens.py).
    static func tiny(_ relative: String) throws -> Checkpoint { try Checkpoint(path: Fixtures.fluxTiny(relative)) }

    /// A tensor of Tests/Fixtures/flux-tiny/reference.safetensors (inputs and transformers' f32 outputs).
    static func reference(_ name: String) throws -> Tensor { try tiny("reference.safetensors").load(name, on: cpu) }

    /// A tensor of Tests/Fixtures/text-encoders/bf16_outputs.safetensors (transformers' own bf16 run).
    static func transformersBF16(_ name: String) throws -> Tensor {
        try Checkpoint(path: Fixtures.path("text-encoders/bf16_outputs.safetensors")).load(name, on: cpu)
    }

    /// The bf16 tolerance of an output: 1.25 × the distance of transformers' own bf16 run from its f32
    /// reference (bf16_outputs.safetensors vs reference.safetensors). An error budget in units of "what the
    /// reference itself loses in bf16" stays meaningful when the fixtures are regenerated.
    static func bf16Budget(_ name: String) throws -> Double {
        1.25 * (try difference(try transformersBF16(name), try reference(name))).maxAbs
    }

    /// Every tensor of `source`, in memory, so tests can damage a copy.
    static func copy(of source: any TensorSource) throws -> [String: Tensor] {
        var tensors: [String: Tensor] = [:]
        for key in source.keys { tensors[key] = try source.load(key, on: cpu) }
        return tensors
    }

    /// Max |actual − expected| (and the full report) of two tensors of the same shape.
    static func difference(_ actual: Tensor, _ expected: Tensor) throws -> ErrorReport {
        #expect(actual.shape == expected.shape, "shape \(actual.shape), expected \(expected.shape)")
        return compare(try actual.floats(), try expected.floats().map(Double.init), atol: 0, rtol: 0)
    }

    /// A random tensor for full-size shape checks, written straight into bf16 storage (uniform with
    /// standard deviation `scale`, truncated to bf16): hundreds of millions of values in well under a
    /// second, without a [Float] copy.
    static func randomBF16(_ shape: Shape, scale: Float, rng: inout TestRNG) throws -> Tensor {
        let count = shape.count
        let host = HostBuffer(byteCount: count * 2)
        let p = host.base.assumingMemoryBound(to: UInt16.self)
        let width = scale * Float(3).squareRoot() * 0x1p-23     // uniform in [-√3·scale, √3·scale)
        var state = rng.next() | 1
        for i in 0..<count {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17    // xorshift64
            let value = (Float(Int32(truncatingIfNeeded: state >> 40) - (1 << 23))) * width
            p[i] = UInt16(truncatingIfNeeded: value.bitPattern >> 16)
        }
        return try cpu.makeTensor(host: host, byteOffset: 0, dtype: .bf16, shape: shape)
    }

    /// Whether every element is finite.
    static func allFinite(_ t: Tensor) throws -> Bool { try t.floats().allSatisfy(\.isFinite) }
}
