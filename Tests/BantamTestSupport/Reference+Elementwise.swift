import BantamCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Float64 references for the element-wise ops (inputs are the stored, already rounded values).
public enum Reference {
    /// The mathematical function behind each `UnaryOp`, in f64.
    public static func unary(_ op: UnaryOp, _ x: Double) -> Double {
        switch op {
        case .geluTanh:
            let inner = (2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x)
            return 0.5 * x * (1 + tanh(inner))
        case .geluErf: return 0.5 * x * (1 + erf(x / 2.0.squareRoot()))
        case .silu: return x * sigmoid(x)
        case .sigmoid: return sigmoid(x)
        case .quickGelu: return x * sigmoid(1.702 * x)
        case .relu: return x < 0 ? 0 : x
        case .exp: return exp(x)
        case .tanh: return tanh(x)
        case .sqrt: return x.squareRoot()
        case .rsqrt: return 1 / x.squareRoot()
        case .square: return x * x
        case .neg: return -x
        case .abs: return x.magnitude
        }
    }

    public static func sigmoid(_ x: Double) -> Double {
        x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x))
    }

    public static func binary(_ op: BinaryOp, _ a: Double, _ b: Double) -> Double {
        switch op {
        case .add: return a + b
        case .sub: return a - b
        case .mul: return a * b
        case .div: return a / b
        case .maximum: return a.isNaN || b.isNaN ? .nan : Swift.max(a, b)
        case .minimum: return a.isNaN || b.isNaN ? .nan : Swift.min(a, b)
        }
    }

    /// a ∘ b with NumPy broadcasting of row-major arrays; returns the result and its shape.
    public static func broadcastBinary(_ op: BinaryOp, _ a: [Double], _ aShape: Shape,
                                       _ b: [Double], _ bShape: Shape) throws -> (values: [Double], shape: Shape) {
        let shape = try Shape.broadcast(aShape, bShape, op: "reference")
        let aIndex = broadcastIndexer(aShape, to: shape), bIndex = broadcastIndexer(bShape, to: shape)
        let values = (0..<shape.count).map { i in binary(op, a[aIndex(i)], b[bIndex(i)]) }
        return (values, shape)
    }

    /// Maps a flat index of `target` to the flat index of the broadcast source `shape`.
    public static func broadcastIndexer(_ shape: Shape, to target: Shape) -> (Int) -> Int {
        let lead = target.rank - shape.rank
        let strides = shape.contiguousStrides
        return { flat in
            var rest = flat, index = 0
            for axis in stride(from: target.rank - 1, through: 0, by: -1) {
                let i = rest % target[axis]
                rest /= target[axis]
                let source = axis - lead
                if source >= 0 && shape[source] != 1 { index += i * strides[source] }
            }
            return index
        }
    }

    /// The values of a row-major array viewed through `permutation` (result axis i = input axis perm[i]).
    public static func permute(_ values: [Double], _ shape: Shape, _ permutation: [Int]) -> [Double] {
        let strides = shape.contiguousStrides
        let outShape = Shape(permutation.map { shape[$0] })
        return (0..<outShape.count).map { flat in
            var rest = flat, index = 0
            for axis in stride(from: outShape.rank - 1, through: 0, by: -1) {
                let i = rest % outShape[axis]
                rest /= outShape[axis]
                index += i * strides[permutation[axis]]
            }
            return values[index]
        }
    }

    /// What a kernel storing `dtype` can at best return for an exact `value`: values beyond the dtype's
    /// range become ±inf (f16 overflows at 65520), everything else is left as is.
    public static func storable(_ value: Double, _ dtype: DType) -> Double {
        let limit: Double
        switch dtype {
        case .f16: limit = 65520
        case .bf16: limit = 0x1.ffp127       // bf16 max is 0x1.fep127; halfway to the next binade rounds up
        default: limit = 0x1.ffffffp127
        }
        return value.magnitude >= limit ? (value < 0 ? -.infinity : .infinity) : value
    }
}

/// Tolerance for a kernel that computes in f32 and rounds once to `dtype`: half an ulp of `dtype`
/// (relative 2⁻⁸ for bf16, 2⁻¹¹ for f16, 0 for f32) plus `f32Ulps` ulps of f32 computing error, plus
/// `atol` for results that come out of a cancellation (and f16's subnormal spacing).
public func roundingTolerance(_ dtype: DType, f32Ulps: Double = 4, atol: Double = 0) -> (atol: Double, rtol: Double) {
    let compute = f32Ulps * 0x1p-24
    switch dtype {
    case .bf16: return (atol, 0x1p-8 + compute)
    case .f16: return (atol + 0x1p-25, 0x1p-11 + compute)
    default: return (atol, compute)
    }
}
