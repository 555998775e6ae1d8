/// exp for f32 in branch-free arithmetic that the compiler vectorizes (libm's `expf` is a call per
/// element). Used by attention's softmax, where exponentials cost as much as the two GEMMs.
///
/// Method: e^x = 2^n · e^r with n = round(x / ln 2) and r = x − n·ln 2 (ln 2 split into a short high part,
/// whose products with n are exact, and a low correction), |r| ≤ ln2/2; e^r from its degree-7 Taylor
/// polynomial (truncation ≤ 6e-9 relative); 2^n applied as two exact power-of-two factors so that results
/// in the subnormal range and overflow to infinity round correctly. Accuracy: within 2 ulp of the true
/// value over the whole f32 range (checked against float64 exp in FastExpTests); exp(−inf) = 0,
/// exp(+inf) = +inf, exp(NaN) = NaN.
public enum FastExp {
    @inline(__always)
    public static func exp(_ x: Float) -> Float {
        // Below −110 the result rounds to 0 and above 89 to +inf, so clamping there changes nothing and keeps
        // n in [−159, 129]. NaN fails both comparisons and stays NaN.
        var v = x < -110 ? -110 : x
        v = v > 89 ? 89 : v
        // n = round(v·log2(e)): adding 1.5·2^23 leaves the rounded integer in the low mantissa bits.
        let magic: Float = 12_582_912
        let shifted = v * 1.442_695_04 + magic
        let n = Int32(bitPattern: shifted.bitPattern) &- Int32(bitPattern: magic.bitPattern)
        let nf = shifted - magic
        let r = (v - nf * 0.693_359_375) - nf * -2.121_944_4e-4   // ln 2 = 0.693359375 − 2.1219444e-4
        // e^r = Σ r^i / i!, i ≤ 7, in Horner form.
        var p: Float = 1.0 / 5040
        p = p * r + 1.0 / 720
        p = p * r + 1.0 / 120
        p = p * r + 1.0 / 24
        p = p * r + 1.0 / 6
        p = p * r + 0.5
        p = p * r + 1
        p = p * r + 1
        // 2^n = 2^n1 · 2^n2 with n1, n2 in [−80, 65]: both are normal floats built from exponent bits.
        let n1 = n &>> 1, n2 = n &- n1
        let scale1 = Float(bitPattern: UInt32(bitPattern: n1 &+ 127) &<< 23)
        let scale2 = Float(bitPattern: UInt32(bitPattern: n2 &+ 127) &<< 23)
        return p * scale1 * scale2
    }
}
