/// The float32 logarithm, sine and cosine that PyTorch's x86 CPU `randn` uses, reproduced operation by
/// operation so that Box-Muller noise comes out bit for bit as torch makes it.
///
/// torch's AVX2 kernel (`normal_fill_16_AVX2`, which AVX-512 machines also run: `normal_stub` is not
/// dispatched to AVX-512) evaluates Cephes' single-precision polynomials as written in `avx_mathfun.h`
/// (J. Pommier's SSE/AVX math functions). Compiled by GCC with FMA enabled, some multiply-adds of that code
/// are contracted into fused multiply-adds; which ones was determined by matching torch 2.13's output on
/// 65,536 draws bit for bit (`scripts/goldens/torch_rng_goldens.py` keeps the evidence as a fixture). Lanes
/// are independent, so a scalar version gives the same values.
enum TorchVectorMath {
    /// C's decimal → double → float rounding of the constants in the C source.
    @inline(__always) private static func c(_ value: Double) -> Float { Float(value) }

    /// a·b + c with one rounding.
    @inline(__always) private static func fma(_ a: Float, _ b: Float, _ c: Float) -> Float { c.addingProduct(a, b) }

    private static let sqrtHalf = c(0.707106781186547524)
    private static let logPolynomial: [Float] = [
        7.0376836292E-2, -1.1514610310E-1, 1.1676998740E-1, -1.2420140846E-1, 1.4249322787E-1,
        -1.6668057665E-1, 2.0000714765E-1, -2.4999993993E-1, 3.3333331174E-1,
    ].map { c($0) }
    /// ln 2 split in two (Cody-Waite): `logLow + logHigh` ≈ ln 2, `logHigh` exact in a few bits.
    private static let logLow = c(-2.12194440e-4)
    private static let logHigh = c(0.693359375)

    /// Natural logarithm of a positive, finite x (the argument here is 1 − u with u in [0, 1)).
    static func log(_ input: Float) -> Float {
        if !(input > 0) { return .nan }
        // 1. Split x = m·2^e with m in [0.5, 1): exponent from the bits, mantissa with exponent of 0.5.
        let x0 = max(input, Float.leastNormalMagnitude)
        let bits = x0.bitPattern
        var e = Float(Int32(bitPattern: bits >> 23) - 0x7F) + 1
        var x = Float(bitPattern: (bits & ~0x7F80_0000) | Float(0.5).bitPattern)
        // 2. Keep m in [sqrt(1/2), sqrt(2)): below sqrt(1/2) use 2m and e − 1. Then x = m − 1.
        let below = x < sqrtHalf
        let extra: Float = below ? x : 0
        x = x - 1
        e = e - (below ? 1 : 0)
        x = x + extra
        // 3. log(1 + x) ≈ x − x²/2 + x³·P(x), with Horner steps fused as GCC compiled them.
        let z = x * x
        var y = logPolynomial[0]
        for p in logPolynomial.dropFirst() { y = fma(y, x, p) }
        y = y * x
        y = fma(y, z, e * logLow)
        y = fma(-z, 0.5, y)
        // 4. Add e·ln 2.
        x = x + y
        return fma(e, logHigh, x)
    }

    private static let fourOverPi = c(1.27323954473516)
    /// π/4 split in three (Cody-Waite), negated.
    private static let minusDP1 = c(-0.78515625)
    private static let minusDP2 = c(-2.4187564849853515625e-4)
    private static let minusDP3 = c(-3.77489497744594108e-8)
    private static let cos0 = c(2.443315711809948E-005), cos1 = c(-1.388731625493765E-003), cos2 = c(4.166664568298827E-002)
    private static let sin0 = c(-1.9515295891E-4), sin1 = c(8.3321608736E-3), sin2 = c(-1.6666654611E-1)

    /// Sine and cosine of x (accurate for |x| < 8192; the argument here is in [0, 2π)).
    static func sincos(_ input: Float) -> (sin: Float, cos: Float) {
        // 1. Octant: j = trunc(|x|·4/π) rounded up to even; reduce x by j·π/4 in extended precision.
        var sinNegative = input.sign == .minus
        var x = abs(input)
        let j = (Int32(x * fourOverPi) &+ 1) & ~1
        let y = Float(j)
        let usesSinPolynomial = (j & 2) == 0
        if (j & 4) != 0 { sinNegative.toggle() }
        let cosNegative = (~(j &- 2) & 4) != 0
        x = fma(y, minusDP1, x)
        x = fma(y, minusDP2, x)
        x = fma(y, minusDP3, x)
        // 2. Both polynomials on the reduced x: cosine-like (1 − z/2 + z²·C(z)) and sine-like (x + x·z·S(z)).
        let z = x * x
        var yc = fma(fma(cos0, z, cos1), z, cos2)
        yc = yc * z
        yc = fma(yc, z, -(z * 0.5))
        yc = yc + 1
        var ys = fma(fma(sin0, z, sin1), z, sin2)
        ys = ys * z
        ys = fma(ys, x, x)
        // 3. Pick per octant and apply the signs.
        let s = usesSinPolynomial ? ys : yc
        let co = usesSinPolynomial ? yc : ys
        return (sinNegative ? -s : s, cosNegative ? -co : co)
    }
}
