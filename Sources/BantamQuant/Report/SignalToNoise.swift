import BantamCore
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Signal-to-noise ratio of an approximation: 10·log10(Σ reference² / Σ (approximation − reference)²) in
/// dB, accumulated in f64. Exact copies give +∞; an all-zero reference with any error gives −∞.
public struct SignalToNoise: Equatable, Sendable, CustomStringConvertible {
    public private(set) var signal: Double = 0
    public private(set) var noise: Double = 0
    public private(set) var count: Int = 0
    /// The largest |approximation − reference|.
    public private(set) var maxAbsError: Double = 0

    public init() {}

    /// The ratio of two equal-length value lists.
    public init(reference: [Float], approximation: [Float]) {
        precondition(reference.count == approximation.count, "SignalToNoise: \(reference.count) and \(approximation.count) values")
        reference.withUnsafeBufferPointer { r in
            approximation.withUnsafeBufferPointer { a in add(reference: r.baseAddress!, approximation: a.baseAddress!, count: r.count) }
        }
    }

    /// The ratio of two same-shaped tensors (any float dtypes, any backend).
    public init(reference: Tensor, approximation: Tensor) throws {
        guard reference.shape == approximation.shape else {
            throw TensorError.shapeMismatch(op: "SignalToNoise", detail: "\(reference.shape) and \(approximation.shape)")
        }
        self.init(reference: try reference.floats(), approximation: try approximation.floats())
    }

    /// Adds `count` pairs.
    public mutating func add(reference: UnsafePointer<Float>, approximation: UnsafePointer<Float>, count: Int) {
        for i in 0..<count {
            let r = Double(reference[i]), e = Double(approximation[i]) - r
            signal += r * r
            noise += e * e
            maxAbsError = max(maxAbsError, abs(e))
        }
        self.count += count
    }

    /// Adds another ratio's sums (of other values).
    public mutating func merge(_ other: SignalToNoise) {
        signal += other.signal
        noise += other.noise
        count += other.count
        maxAbsError = max(maxAbsError, other.maxAbsError)
    }

    /// 10·log10(signal / noise).
    public var decibels: Double {
        if noise == 0 { return .infinity }
        if signal == 0 { return -.infinity }
        return 10 * log10Double(signal / noise)
    }

    /// sqrt(noise / signal): the relative RMS error.
    public var relativeRMSError: Double { signal == 0 ? (noise == 0 ? 0 : .infinity) : (noise / signal).squareRoot() }

    public var description: String {
        let db = decibels
        return db.isInfinite ? (db > 0 ? "exact" : "-inf dB") : "\(Self.format(db)) dB"
    }

    static func format(_ value: Double) -> String {
        let scaled = (value * 10).rounded() / 10
        return String(scaled)
    }
}

@inline(__always) func log10Double(_ x: Double) -> Double { log10(x) }
@inline(__always) func logDouble(_ x: Double) -> Double { log(x) }
@inline(__always) func cosDouble(_ x: Double) -> Double { cos(x) }
@inline(__always) func expDouble(_ x: Double) -> Double { exp(x) }
