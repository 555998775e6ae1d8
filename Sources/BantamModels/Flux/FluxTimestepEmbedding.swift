#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import BantamCore

extension FluxTransformer {
    /// Sinusoidal embedding of timesteps (or guidance values), BFL `timestep_embedding`
    /// (src/flux/modules/layers.py; diffusers `Timesteps(256, flip_sin_to_cos=True, downscale_freq_shift=0)`):
    ///
    ///     t      = 1000 · t                                   (time_factor)
    ///     freq_i = exp(−ln(10000) · i / half),  i = 0 ..< half
    ///     emb    = [cos(t · freq), sin(t · freq)]             (cos first)
    ///
    /// A small host computation ([B] values in, [B, dim] out), done in f32 with the reference's f32
    /// roundings reproduced step by step (the product t·freq reaches ~1000 rad, so the rounding of each
    /// factor matters at 1e-5); exp, cos and sin are evaluated in f64 and rounded once to f32.
    /// The values are the timesteps in [0, 1] as given (f32); the table is uploaded to `backend` as f32.
    public static func timestepEmbedding(_ values: [Float], dim: Int = FluxTransformerConfig.timestepDim,
                                         on backend: any Backend) throws -> Tensor {
        try Tensor(timestepEmbeddingTable(values, dim: dim), shape: [values.count, dim], on: backend)
    }

    /// The [values.count, dim] table of `timestepEmbedding`, row-major, on the host.
    public static func timestepEmbeddingTable(_ values: [Float], dim: Int = FluxTransformerConfig.timestepDim,
                                              timeFactor: Float = 1000, maxPeriod: Double = 10_000) -> [Float] {
        let half = dim / 2
        // freq_i in f32: (−ln(maxPeriod) as f32 · i) / half, then exp.
        let logPeriod = Float(-log(maxPeriod))
        let freqs: [Float] = (0..<half).map { i in
            let exponent = (logPeriod * Float(i)) / Float(half)
            return Float(exp(Double(exponent)))
        }
        var table = [Float](repeating: 0, count: values.count * dim)   // [B, dim]; an odd dim keeps a zero pad
        for (b, value) in values.enumerated() {
            let t = timeFactor * value                                    // f32, as `time_factor * t`
            for i in 0..<half {
                let angle = Double(t * freqs[i])                          // f32 product
                table[b * dim + i] = Float(cos(angle))
                table[b * dim + half + i] = Float(sin(angle))
            }
        }
        return table
    }
}
