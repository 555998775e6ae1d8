import BantamCore

/// A small, fast, seedable generator (SplitMix64) for test inputs. Each test draws a fresh seed by default
/// so that every run checks new numbers; the seed is printed with any failure.
public struct TestRNG: RandomNumberGenerator, Sendable {
    public private(set) var state: UInt64
    public let seed: UInt64

    public init(seed: UInt64 = UInt64.random(in: 0...UInt64.max)) {
        self.seed = seed
        self.state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [lower, upper).
    public mutating func uniform(_ lower: Float = -1, _ upper: Float = 1) -> Float {
        lower + (upper - lower) * Float(next() >> 40) * 0x1p-24
    }

    /// Standard normal (Box-Muller).
    public mutating func normal() -> Float {
        let u1 = max(Double(next() >> 11) * 0x1p-53, 1e-300)
        let u2 = Double(next() >> 11) * 0x1p-53
        return Float((-2 * _log(u1)).squareRoot() * _cos(2 * Double.pi * u2))
    }

    public mutating func normals(_ count: Int, scale: Float = 1) -> [Float] {
        (0..<count).map { _ in normal() * scale }
    }

    public mutating func uniforms(_ count: Int, _ lower: Float = -1, _ upper: Float = 1) -> [Float] {
        (0..<count).map { _ in uniform(lower, upper) }
    }

    /// A random tensor of normal values with `scale`, stored as `dtype`; also returns the stored values
    /// (after rounding to `dtype`) as Double for float64 references.
    public mutating func tensor(_ shape: Shape, dtype: DType = .f32, scale: Float = 1,
                                on backend: any Backend) throws -> (tensor: Tensor, values: [Double]) {
        let t = try Tensor(normals(shape.count, scale: scale), shape: shape, dtype: dtype, on: backend)
        return (t, try t.floats().map(Double.init))
    }
}

#if canImport(Glibc)
import Glibc
@inline(__always) func _log(_ x: Double) -> Double { Glibc.log(x) }
@inline(__always) func _cos(_ x: Double) -> Double { Glibc.cos(x) }
#else
import Darwin
@inline(__always) func _log(_ x: Double) -> Double { Darwin.log(x) }
@inline(__always) func _cos(_ x: Double) -> Double { Darwin.cos(x) }
#endif
