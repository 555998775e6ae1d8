import BantamCore
import Glibc
import BantamCUDA
import BantamModels

/// A FLUX.1 transformer with random weights, the real tensor names (BFL layout) and shapes, made where it
/// will run: on a GPU by the random-normal kernel (12 billion values in well under a second), on the CPU
/// from a host generator. Weights are N(0, 1/(3·in)) like PyTorch's default Linear initialisation (so
/// activations keep their scale through 57 blocks), biases N(0, 0.02²), norm scales 1. Labeled synthetic
/// wherever a benchmark reports it.
enum SyntheticFluxWeights {
    static func make(config: FluxTransformerConfig, dtype: DType, on backend: any Backend,
                     seed: UInt64) throws -> InMemoryTensorSource {
        var tensors: [String: Tensor] = [:]
        for (index, (name, shape)) in config.bflParameterShapes().enumerated() {
            let tensorSeed = seed &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(index) &* 0xBF58_476D_1CE4_E5B9
            if name.hasSuffix(".scale") {
                tensors[name] = try Tensor([Float](repeating: 1, count: shape.count), shape: shape, dtype: dtype, on: backend)
                continue
            }
            let std: Float = shape.rank == 2 ? 1 / (3 * Float(shape[1])).squareRoot() : 0.02
            tensors[name] = try normal(shape, dtype: dtype, std: std, seed: tensorSeed, on: backend)
        }
        return InMemoryTensorSource(tensors, description: "synthetic FLUX.1 (random weights)")
    }

    static func normal(_ shape: Shape, dtype: DType, std: Float, seed: UInt64, on backend: any Backend) throws -> Tensor {
        if let cuda = backend as? CUDABackend {
            return try cuda.randomNormal(shape, dtype: dtype, std: std, seed: seed)
        }
        var rng = SplitMix64(seed: seed)
        var values = [Float](repeating: 0, count: shape.count)
        var i = 0
        while i < values.count {   // Box-Muller, two values per draw
            let u1 = max(Float(rng.next() >> 40) / Float(1 << 24), .leastNormalMagnitude)
            let u2 = Float(rng.next() >> 40) / Float(1 << 24)
            let r = (-2 * logf(u1)).squareRoot() * std
            values[i] = r * cosf(2 * .pi * u2)
            if i + 1 < values.count { values[i + 1] = r * sinf(2 * .pi * u2) }
            i += 2
        }
        return try Tensor(values, shape: shape, dtype: dtype, on: backend)
    }

    /// Random f32 values in the bench's inputs (same generator as the CPU weights).
    static func hostNormal(count: Int, seed: UInt64) -> [Float] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { _ in
            let u1 = max(Double(rng.next() >> 11) / Double(1 << 53), .leastNormalMagnitude)
            let u2 = Double(rng.next() >> 11) / Double(1 << 53)
            return Float((-2 * log(u1)).squareRoot() * cos(2 * .pi * u2))
        }
    }
}

struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
