/// Bit-exact scalar conversions between f32 and the 16- and 8-bit float formats, matching PyTorch 2.13's CPU
/// casts (the algorithms of c10/util/BFloat16.h, Half.h, Float8_e4m3fn.h, Float8_e5m2.h): round-to-nearest-even
/// and the same out-of-range behaviour. The `saturating` encoders clamp to the largest finite value first,
/// which is what quantizers want.
///
/// NaN bit patterns: torch itself is not consistent for bf16 and f16 (the pattern depends on which kernel
/// runs the cast; scripts/goldens/dtype_goldens.py measures all paths). Where torch's paths agree (f16 encode,
/// the FP8 formats, bf16 decode) the bits here are torch's; where they do not, these functions produce the
/// bits of one of torch's paths (bf16 encode: 0x7FC0 as c10's scalar path; f16 decode: payload kept).
/// The tests in Tests/BantamCoreTests check every value against goldens written by torch.
public enum FloatBits {

    // MARK: bfloat16 (1 sign, 8 exponent, 7 mantissa bits: the top half of an f32)

    /// torch `c10::detail::round_to_nearest_even`: NaN becomes 0x7FC0, everything else rounds to nearest even
    /// (values that round past the largest finite bf16 become ±Inf). torch's vectorized x86 kernel writes
    /// 0xFFFF for NaN instead; both are NaN.
    @inlinable
    public static func bf16(fromFloat value: Float) -> UInt16 {
        let bits = value.bitPattern
        let roundingBias = ((bits >> 16) & 1) &+ 0x7FFF
        let rounded = UInt16(truncatingIfNeeded: (bits &+ roundingBias) >> 16)
        // A select rather than an early return, so that bulk loops over this function vectorize.
        return bits & 0x7FFF_FFFF > 0x7F80_0000 ? 0x7FC0 : rounded
    }

    @inlinable
    public static func float(fromBF16 bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    // MARK: IEEE binary16 (1 sign, 5 exponent, 10 mantissa bits)

    /// torch's f32 -> f16 cast: round to nearest even, overflow to ±Inf, gradual underflow. A NaN keeps its
    /// sign and the top 10 mantissa bits, with the quiet bit set, as the x86 F16C instruction torch uses does
    /// (c10's portable `fp16_ieee_from_fp32_value`, ported here, would write 0x7E00 | sign instead).
    @inlinable
    public static func f16(fromFloat value: Float) -> UInt16 {
        let scaleToInf = Float(bitPattern: 0x7780_0000)    // 2^112
        let scaleToZero = Float(bitPattern: 0x0880_0000)   // 2^-110
        var base = (value.magnitude * scaleToInf) * scaleToZero
        let w = value.bitPattern
        let shl1w = w &+ w
        let sign = w & 0x8000_0000
        var bias = shl1w & 0xFF00_0000
        if bias < 0x7100_0000 { bias = 0x7100_0000 }
        base = Float(bitPattern: (bias >> 1) &+ 0x0780_0000) + base
        let bits = base.bitPattern
        let expBits = (bits >> 13) & 0x0000_7C00
        let mantissaBits = bits & 0x0000_0FFF
        let nonsign = expBits &+ mantissaBits
        let nan = 0x7E00 | ((w >> 13) & 0x03FF)          // quiet NaN with the payload's top bits
        return UInt16(truncatingIfNeeded: (sign >> 16) | (shl1w > 0xFF00_0000 ? nan : nonsign))
    }

    /// torch `c10::detail::fp16_ieee_to_fp32_value`: exact; a NaN keeps its sign and payload and becomes quiet
    /// (the multiplication by 2^-112 quiets it), as F16C does.
    @inlinable
    public static func float(fromF16 h: UInt16) -> Float {
        let w = UInt32(h) << 16
        let sign = w & 0x8000_0000
        let twoW = w &+ w
        let expOffset: UInt32 = 0xE0 << 23
        let expScale = Float(bitPattern: 0x0780_0000)     // 2^-112
        let normalized = Float(bitPattern: (twoW >> 4) &+ expOffset) * expScale
        let magicMask: UInt32 = 126 << 23
        let magicBias: Float = 0.5
        let denormalized = Float(bitPattern: (twoW >> 17) | magicMask) - magicBias
        let denormalizedCutoff: UInt32 = 1 << 27
        let result = sign | (twoW < denormalizedCutoff ? denormalized.bitPattern : normalized.bitPattern)
        return Float(bitPattern: result)
    }

    // MARK: float8 e4m3fn (1 sign, 4 exponent with bias 7, 3 mantissa bits; no infinities)

    /// Largest finite e4m3fn value.
    public static let f8e4m3fnMax: Float = 448

    /// torch `c10::detail::fp8e4m3fn_from_fp32_value` (torch 2.13): round-to-nearest-even, and saturating:
    /// finite magnitudes that round past 448 (above 464) and ±Inf become ±448 (0x7E | sign); NaN becomes
    /// 0x7F | sign. (Older torch releases turned |x| ≥ 480 into NaN; 2.13, the pinned version, saturates.)
    @inlinable
    public static func f8e4m3fn(fromFloat value: Float) -> UInt8 {
        let fp8Limit: UInt32 = 1087 << 20        // 480.0 as f32 bits: the first value past the e4m3fn range
        let denormMask: UInt32 = 141 << 23
        var f = value.bitPattern
        let sign = f & 0x8000_0000
        f ^= sign
        var result: UInt32
        if f >= fp8Limit {
            result = f > 0x7F80_0000 ? 0x7F : 0x7E          // NaN stays NaN; overflow and Inf saturate
        } else if f < (121 << 23) {
            // Below the smallest normal (2^-6): let the FPU round the subnormal with an added magic number.
            let sum = Float(bitPattern: f) + Float(bitPattern: denormMask)
            result = sum.bitPattern &- denormMask
        } else {
            let mantissaOdd = (f >> 20) & 1
            f = f &+ (UInt32(bitPattern: Int32(7 - 127) << 23) &+ 0x7FFFF)
            f = f &+ mantissaOdd
            result = f >> 20
            if result == 0x7F { result = 0x7E }             // rounding carried into the NaN code: saturate
        }
        result |= sign >> 24
        return UInt8(truncatingIfNeeded: result)
    }

    /// Clamps to ±448 before rounding: finite inputs never become NaN; NaN stays NaN. Since torch 2.13's
    /// cast saturates too, this equals `f8e4m3fn(fromFloat:)` for every input (torch's
    /// `x.clamp(-448, 448).to(float8_e4m3fn)`); it is kept as the explicit name quantizers use.
    @inlinable
    public static func f8e4m3fnSaturating(fromFloat value: Float) -> UInt8 {
        if value.isNaN { return f8e4m3fn(fromFloat: value) }
        return f8e4m3fn(fromFloat: min(max(value, -f8e4m3fnMax), f8e4m3fnMax))
    }

    /// torch `c10::detail::fp8e4m3fn_to_fp32_value` (NaN decodes to 0x7FF00000 | sign, as torch's does).
    @inlinable
    public static func float(fromF8E4M3FN byte: UInt8) -> Float {
        let w = UInt32(byte) << 24
        let sign = w & 0x8000_0000
        let nonsign = w & 0x7FFF_FFFF
        var renormShift = UInt32(nonsign.leadingZeroBitCount)
        renormShift = renormShift > 4 ? renormShift - 4 : 0
        let infNanMask = UInt32(bitPattern: Int32(bitPattern: nonsign &+ 0x0100_0000) >> 8) & 0x7F80_0000
        let zeroMask = UInt32(bitPattern: Int32(bitPattern: nonsign &- 1) >> 31)
        let body = ((nonsign << renormShift) >> 4) &+ ((0x78 &- renormShift) << 23)
        return Float(bitPattern: sign | ((body | infNanMask) & ~zeroMask))
    }

    // MARK: float8 e5m2 (1 sign, 5 exponent with bias 15, 2 mantissa bits: the top byte of a binary16)

    /// Largest finite e5m2 value.
    public static let f8e5m2Max: Float = 57344

    /// torch `c10::detail::fp8e5m2_from_fp32_value`: round-to-nearest-even; magnitudes of 65536 and above
    /// become ±Inf (0x7C | sign), NaN becomes 0x7F | sign.
    @inlinable
    public static func f8e5m2(fromFloat value: Float) -> UInt8 {
        let fp32Inf: UInt32 = 255 << 23
        let fp8Max: UInt32 = 143 << 23            // 65536.0 as f32 bits
        let denormMask: UInt32 = 134 << 23
        var f = value.bitPattern
        let sign = f & 0x8000_0000
        f ^= sign
        var result: UInt32
        if f >= fp8Max {
            result = f > fp32Inf ? 0x7F : 0x7C
        } else if f < (113 << 23) {
            let sum = Float(bitPattern: f) + Float(bitPattern: denormMask)
            result = sum.bitPattern &- denormMask
        } else {
            let mantissaOdd = (f >> 21) & 1
            f = f &+ (UInt32(bitPattern: Int32(15 - 127) << 23) &+ 0xFFFFF)
            f = f &+ mantissaOdd
            result = f >> 21
        }
        result |= sign >> 24
        return UInt8(truncatingIfNeeded: result)
    }

    /// Clamps to ±57344 before rounding (infinities become the largest finite value); NaN stays NaN.
    @inlinable
    public static func f8e5m2Saturating(fromFloat value: Float) -> UInt8 {
        if value.isNaN { return f8e5m2(fromFloat: value) }
        return f8e5m2(fromFloat: min(max(value, -f8e5m2Max), f8e5m2Max))
    }

    /// torch `c10::detail::fp8e5m2_to_fp32_value`: the byte is the top half of a binary16.
    @inlinable
    public static func float(fromF8E5M2 byte: UInt8) -> Float {
        float(fromF16: UInt16(byte) << 8)
    }
}
