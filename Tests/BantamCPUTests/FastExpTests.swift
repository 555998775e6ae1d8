import BantamCPU
import BantamTestSupport
import Testing

/// FastExp (attention's softmax exponential) against float64 exp: within 2 ulp of the correctly rounded
/// value over the whole f32 domain, subnormal results included, and the IEEE special cases.
@Suite struct FastExpTests {
    /// |fast − exact| in units of the last place of the f32 result (subnormal spacing below 2^−126).
    func ulpError(_ x: Float) -> Double {
        let exact = _expDouble(Double(x))
        let got = Double(FastExp.exp(x))
        let rounded = Float(exact)
        let ulp = rounded.isFinite ? Double(max(rounded.ulp, Float.leastNonzeroMagnitude)) : Double(Float.greatestFiniteMagnitude.ulp)
        if exact > Double(Float.greatestFiniteMagnitude) { return got == .infinity ? 0 : .infinity }
        return (got - exact).magnitude / ulp
    }

    @Test func accurateOverTheRange() {
        var rng = TestRNG()
        var worst = (x: Float(0), ulps: 0.0)
        // A dense grid over [−104, 88.7] plus random points and the neighbourhood of 0.
        var points: [Float] = stride(from: Float(-104), through: 88.7, by: 0.0037).map { $0 }
        points += (0..<20000).map { _ in rng.uniform(-104, 88.7) }
        points += (0..<5000).map { _ in rng.uniform(-1e-3, 1e-3) }
        for x in points {
            let e = ulpError(x)
            if e > worst.ulps { worst = (x, e) }
        }
        #expect(worst.ulps <= 2, "seed \(rng.seed): worst \(worst.ulps) ulp at x = \(worst.x)")
    }

    @Test func specialValues() {
        #expect(FastExp.exp(0) == 1)
        #expect(FastExp.exp(-.infinity) == 0)
        #expect(FastExp.exp(-200) == 0)
        #expect(FastExp.exp(.infinity) == .infinity)
        #expect(FastExp.exp(89) == .infinity)
        #expect(FastExp.exp(.nan).isNaN)
        #expect(FastExp.exp(-Float.greatestFiniteMagnitude) == 0)
        #expect(FastExp.exp(-103.5) > 0)   // subnormal result
    }
}
