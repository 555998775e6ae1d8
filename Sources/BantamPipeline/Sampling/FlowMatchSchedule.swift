#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// FLUX.1's flow-matching noise levels (sigmas), computed as diffusers' FluxPipeline with
/// FlowMatchEulerDiscreteScheduler does, rounding for rounding (formats.md §2.7):
///
///     sigmas = float32(linspace(1, 1/N, N))                  (numpy, float64, then cast)
///     dev:     mu = m·L + b   (the line through (256, 0.5) and (4096, 1.15); L = image tokens)
///              sigma ← e^mu / (e^mu + (1/sigma − 1))           (float32, e^mu rounded to float32)
///     schnell: unshifted
///     then a terminal 0.
///
/// The transformer sees `fl(fl(sigma·1000)/1000)`: diffusers keeps timesteps in [0, 1000] and divides
/// by 1000 before the forward pass, so the value differs from sigma by a rounding at times.
public struct FlowMatchSchedule: Sendable {
    /// Image sequence length at which the shift is `baseShift`.
    public static let baseSequenceLength = 256
    /// Image sequence length at which the shift is `maxShift`.
    public static let maxSequenceLength = 4096
    public static let baseShift = 0.5
    public static let maxShift = 1.15

    /// FLUX.1's sigmas for `steps` steps: `steps` values from 1 down, then 0. `shift` on for dev (the
    /// resolution-dependent exponential shift), off for schnell.
    public static func flux(steps: Int, imageTokens: Int, shift: Bool,
                            baseShift: Double = baseShift, maxShift: Double = maxShift,
                            baseSequenceLength: Int = baseSequenceLength,
                            maxSequenceLength: Int = maxSequenceLength) -> [Float] {
        guard steps > 0 else { return [0] }
        var sigmas = linspace(from: 1, to: 1 / Double(steps), count: steps).map { Float($0) }
        if shift {
            let mu = self.mu(imageTokens: imageTokens, baseShift: baseShift, maxShift: maxShift,
                             baseSequenceLength: baseSequenceLength, maxSequenceLength: maxSequenceLength)
            sigmas = sigmas.map { timeShift(mu: mu, $0) }
        }
        return sigmas + [0]
    }

    /// diffusers' `calculate_shift`: the shift parameter for an image of `imageTokens` packed tokens.
    public static func mu(imageTokens: Int, baseShift: Double = baseShift, maxShift: Double = maxShift,
                          baseSequenceLength: Int = baseSequenceLength,
                          maxSequenceLength: Int = maxSequenceLength) -> Double {
        let m = (maxShift - baseShift) / Double(maxSequenceLength - baseSequenceLength)
        let b = baseShift - m * Double(baseSequenceLength)
        return Double(imageTokens) * m + b
    }

    /// The exponential time shift with sigma = 1 (`_time_shift_exponential`), in float32 as numpy
    /// evaluates it on a float32 array: `e^mu` becomes a float32 scalar, every step rounds to float32.
    public static func timeShift(mu: Double, _ t: Float) -> Float {
        let e = Float(exp(mu))
        let ratio = 1 / t - 1
        return e / (e + ratio)
    }

    /// The value the transformer receives for `sigma`: diffusers' `timestep / 1000` with
    /// `timestep = sigma · 1000`, both in float32.
    public static func modelTimestep(sigma: Float) -> Float {
        (sigma * 1000) / 1000
    }

    /// numpy's `linspace(start, stop, count)` in float64: `i·step + start`, the last value exactly `stop`.
    static func linspace(from start: Double, to stop: Double, count: Int) -> [Double] {
        guard count > 1 else { return count == 1 ? [start] : [] }
        let step = (stop - start) / Double(count - 1)
        var values = (0..<count).map { Double($0) * step + start }
        values[count - 1] = stop
        return values
    }
}
