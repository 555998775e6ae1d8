import BantamCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Element-wise functions of one input: decode a tile to f32, apply the function in place, encode once.
extension CPUBackend {
    public func unary(_ op: UnaryOp, _ x: Tensor, into out: Tensor) throws {
        try require(.unary, x.dtype)
        try requireOutput(op.rawValue, out, shape: x.shape)
        let src = UncheckedSendable(UnsafeRawPointer(try basePointer(x)))
        let dst = UncheckedSendable(try outputPointer(out))
        guard x.count > 0 else { return }
        let tiles = ElementwiseTiles(RowLayout(shape: x.shape, strides: [x.strides, out.strides]))
        Parallel.forEach(tiles.count, threads: threads, grain: tiles.grain) { range in
            let scratch = ScratchRows(rows: 1, length: tiles.tileLength)
            defer { scratch.free() }
            let row = scratch.row(0)
            for index in range {
                let t = tiles.tile(index)
                RowIO.readBroadcasting(src.value, x.dtype, start: tiles.start(row: t.row, first: t.first, operand: 0),
                                       count: t.length, stride: tiles.layout.rowStride(0), into: row)
                UnaryMath.apply(op, row, t.length)
                RowIO.write(dst.value, out.dtype, start: tiles.start(row: t.row, first: t.first, operand: 1),
                            count: t.length, stride: tiles.layout.rowStride(1), from: row)
            }
        }
    }
}

/// The f32 formulas, one loop per function so the switch stays outside the inner loop (the simple ones
/// vectorize; the transcendental ones call libm, whose expf/tanhf/erff are within about 1 ulp).
enum UnaryMath {
    /// √(2/π), the GELU tanh-approximation constant (rounded to f32 as in PyTorch).
    static let sqrtTwoOverPi: Float = 0.7978845608028654
    /// 1/√2 for the exact GELU.
    static let inverseSqrtTwo: Float = 0.7071067811865476

    /// Replaces p[0..<n] with op(p[i]).
    static func apply(_ op: UnaryOp, _ p: UnsafeMutablePointer<Float>, _ n: Int) {
        switch op {
        case .geluTanh:
            // PyTorch's formula term by term: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). For x ≲ −3 the
            // 1 + tanh cancels, so the absolute error is about |x|·2⁻²⁴ there (torch computes the same).
            for i in 0..<n {
                let x = p[i]
                let cube = x * x * x
                let inner = sqrtTwoOverPi * (x + 0.044715 * cube)
                p[i] = 0.5 * x * (1 + tanhf(inner))
            }
        case .geluErf:
            // 0.5·x·(1 + erf(x/√2)). (torch's vectorized erf returns NaN at +inf, so its gelu(+inf) is NaN;
            // this gives +inf, the limit.)
            for i in 0..<n {
                let x = p[i]
                p[i] = 0.5 * x * (1 + erff(x * inverseSqrtTwo))
            }
        case .silu:
            for i in 0..<n { p[i] = p[i] * sigmoid(p[i]) }
        case .sigmoid:
            for i in 0..<n { p[i] = sigmoid(p[i]) }
        case .quickGelu:
            for i in 0..<n { p[i] = p[i] * sigmoid(1.702 * p[i]) }
        case .relu:
            // x < 0 ? 0 : x keeps NaN and −0 like torch.relu.
            for i in 0..<n { p[i] = p[i] < 0 ? 0 : p[i] }
        case .exp:
            for i in 0..<n { p[i] = expf(p[i]) }
        case .tanh:
            for i in 0..<n { p[i] = tanhf(p[i]) }
        case .sqrt:
            for i in 0..<n { p[i] = p[i].squareRoot() }
        case .rsqrt:
            // 1/√x (two roundings, like torch's CPU rsqrt); rsqrt(0) = inf, rsqrt(−0) = −inf.
            for i in 0..<n { p[i] = 1 / p[i].squareRoot() }
        case .square:
            for i in 0..<n { p[i] = p[i] * p[i] }
        case .neg:
            for i in 0..<n { p[i] = -p[i] }
        case .abs:
            for i in 0..<n { p[i] = p[i].magnitude }
        }
    }

    /// 1/(1 + e^(−x)) without overflow: for x < 0 it uses e^x/(1 + e^x), so large |x| gives 0 or 1, never
    /// NaN, and tiny results keep their relative precision. NaN stays NaN.
    @inline(__always)
    static func sigmoid(_ x: Float) -> Float {
        if x >= 0 {
            return 1 / (1 + expf(-x))
        }
        let e = expf(x)
        return e / (1 + e)
    }
}
