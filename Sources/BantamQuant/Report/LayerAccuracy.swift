import BantamCore

/// How closely one quantized Linear layer follows its full-precision weight: the signal-to-noise ratio of
/// the weights, and of the layer's outputs on a few random inputs (x ~ N(0, 1), seeded by `seed`, so
/// reruns agree). Outputs are computed by the backend the weights live on, through the same ops the model
/// uses (`linear` for the reference, the quantized op for the approximation).
public struct LayerAccuracy: Sendable {
    public let name: String
    public let format: String
    public let parameters: Int
    public let weights: SignalToNoise
    public let outputs: SignalToNoise

    public init(name: String, format: String, parameters: Int, weights: SignalToNoise, outputs: SignalToNoise) {
        self.name = name
        self.format = format
        self.parameters = parameters
        self.weights = weights
        self.outputs = outputs
    }

    /// Measures `quantized` against `reference` (f32 [out, in]) with `rows` random input rows.
    public static func measure(name: String, reference: Tensor, quantized: LinearWeight, rows: Int = 4,
                               seed: UInt64 = 0x5EED) throws -> LayerAccuracy {
        let approx = try quantized.dequantized(to: .f32)
        let weights = try SignalToNoise(reference: reference, approximation: approx)
        var state = seed ^ UInt64(truncatingIfNeeded: name.hashValueStable)
        let k = reference.shape[1]
        let x = try Tensor((0..<(rows * k)).map { _ in normal(&state) }, shape: [rows, k], on: reference.backend)
        let exact = try linear(x, weight: try reference.cast(to: .f32))
        let outputs = try SignalToNoise(reference: exact, approximation: try quantized.apply(x, bias: nil))
        return LayerAccuracy(name: name, format: quantized.formatName, parameters: reference.count,
                             weights: weights, outputs: outputs)
    }

    /// SplitMix64 → Box-Muller, f32.
    private static func normal(_ state: inout UInt64) -> Float {
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        let u1 = max(Double(next() >> 11) * 0x1p-53, 1e-300), u2 = Double(next() >> 11) * 0x1p-53
        return Float((-2 * logDouble(u1)).squareRoot() * cosDouble(2 * Double.pi * u2))
    }
}

/// Summary of many layers: parameter-weighted mean SNR in dB, the worst layer.
public struct AccuracySummary: Sendable {
    public let layers: [LayerAccuracy]

    public init(_ layers: [LayerAccuracy]) { self.layers = layers }

    /// Total weights / outputs SNR over all layers (signal and noise summed, so large layers weigh more).
    public var weights: SignalToNoise { layers.reduce(into: SignalToNoise()) { $0.merge($1.weights) } }
    public var outputs: SignalToNoise { layers.reduce(into: SignalToNoise()) { $0.merge($1.outputs) } }
    /// The layer with the lowest output SNR.
    public var worst: LayerAccuracy? { layers.min { $0.outputs.decibels < $1.outputs.decibels } }
}

extension String {
    /// FNV-1a of the UTF-8 bytes (stable across runs, unlike `hashValue`).
    var hashValueStable: UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }
}
