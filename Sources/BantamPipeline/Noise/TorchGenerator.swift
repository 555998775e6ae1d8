#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A CPU random generator that makes the same numbers as `torch.Generator("cpu").manual_seed(seed)`:
/// `torch.rand` and `torch.randn` of float32 tensors (see /work/shared/reference/torch-cpu-rng.md).
///
/// Why: ComfyUI and diffusers (with a CPU generator) draw their initial noise this way, so the same seed
/// gives users the same image in Bantam. Matches torch on x86 CPUs (the AVX2 kernel that x86 builds of torch
/// run) bit for bit; torch on ARM uses the platform's libm for `randn` of ≥ 16 values and may differ there
/// by an ulp.
///
/// Calls continue one stream, as successive torch calls on one generator do (including torch's cached
/// second Box-Muller value of the small-tensor path).
public struct TorchGenerator: Sendable {
    /// The seed given to `init`.
    public let seed: UInt64
    private var engine: MersenneTwister
    /// The second value of the last double-precision Box-Muller pair, not yet returned (torch keeps it in
    /// the generator, `next_double_normal_sample`).
    private var pendingNormal: Double?

    /// `torch.manual_seed(seed)` (only the low 32 bits reach the Mersenne Twister, as in torch).
    public init(seed: UInt64) {
        self.seed = seed
        self.engine = MersenneTwister(seed: seed)
    }

    /// A seed for "seed −1" (random): drawn from the system's generator, below 2^32 so that every tool that
    /// stores seeds as 32-bit numbers (A1111's PNG info, ComfyUI's widgets) can reproduce it.
    public static func randomSeed() -> UInt64 {
        var system = SystemRandomNumberGenerator()
        return UInt64.random(in: 0..<(1 << 32), using: &system)
    }

    /// One 32-bit output (torch `generator->random()`).
    public mutating func nextUInt32() -> UInt32 { engine.next() }

    /// Two outputs joined, the first in the high half (torch `generator->random64()`).
    public mutating func nextUInt64() -> UInt64 {
        let high = UInt64(engine.next())
        let low = UInt64(engine.next())
        return high << 32 | low
    }

    /// A float32 uniform in [0, 1) from 24 random bits (torch's `uniform_real_distribution<float>`).
    @inline(__always) mutating func uniformFloat() -> Float {
        Float(engine.next() & 0xFF_FFFF) * (1.0 / 16_777_216.0)
    }

    /// A double uniform in [0, 1) from 53 random bits (torch's `uniform_real_distribution<double>`).
    @inline(__always) mutating func uniformDouble() -> Double {
        Double(nextUInt64() & ((1 << 53) - 1)) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// `torch.rand(count)` in float32.
    public mutating func rand(count: Int) -> [Float] {
        (0..<max(count, 0)).map { _ in uniformFloat() }
    }

    /// `torch.randn(count)` in float32 (any shape with `count` elements: torch fills contiguous memory).
    public mutating func randn(count: Int) -> [Float] {
        guard count > 0 else { return [] }
        if count < 16 { return (0..<count).map { _ in Float(normalDouble()) } }
        // 1. One uniform per element, in order.
        var data = (0..<count).map { _ in uniformFloat() }
        data.withUnsafeMutableBufferPointer { d in
            // 2. Box-Muller on each full chunk of 16: pairs (j, j + 8).
            var start = 0
            while start + 16 <= count {
                Self.boxMuller16(d.baseAddress! + start)
                start += 16
            }
            // 3. A ragged tail: 16 fresh uniforms into the last 16 slots, transformed again (they overwrite
            //    values of the last full chunk, as torch does).
            if count % 16 != 0 {
                for i in (count - 16)..<count { d[i] = uniformFloat() }
                Self.boxMuller16(d.baseAddress! + count - 16)
            }
        }
        return data
    }

    private static let twoPi = Float(2 * Double.pi)

    /// torch's `normal_fill_16_AVX2`: values 0..<8 become radius·cos, 8..<16 radius·sin (mean 0, std 1).
    @inline(__always) private static func boxMuller16(_ d: UnsafeMutablePointer<Float>) {
        for j in 0..<8 {
            let u1 = 1 - d[j]
            let u2 = d[j + 8]
            let radius = (-2 * TorchVectorMath.log(u1)).squareRoot()
            let (s, c) = TorchVectorMath.sincos(twoPi * u2)
            // fmadd(n, std = 1, mean = 0): the value itself, with −0 becoming +0.
            d[j] = radius * c + 0
            d[j + 8] = radius * s + 0
        }
    }

    /// One standard normal in double precision, the path torch takes for tensors of fewer than 16 elements:
    /// Box-Muller on two 53-bit uniforms, the sine half kept for the next call.
    private mutating func normalDouble() -> Double {
        if let pending = pendingNormal {
            pendingNormal = nil
            return pending
        }
        let u1 = uniformDouble()
        let u2 = uniformDouble()
        let radius = (-2 * log1p(-u2)).squareRoot()
        let theta = 2 * Double.pi * u1
        pendingNormal = radius * sin(theta)
        return radius * cos(theta)
    }
}
