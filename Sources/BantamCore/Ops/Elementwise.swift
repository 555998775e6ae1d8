/// Element-wise ops: activations, arithmetic with broadcasting, scalar affine maps, casts.

/// Applies `op` to every element.
public func unary(_ op: UnaryOp, _ x: Tensor) throws -> Tensor {
    let name = op.rawValue
    try OpChecks.requireFloat(name, x)
    try OpChecks.requireSupport(x.backend, .unary, x.dtype, op: name)
    let out = try x.backend.empty(x.shape, dtype: x.dtype)
    try x.backend.unary(op, x, into: out)
    return out
}

/// GELU, tanh approximation (PyTorch `gelu(approximate="tanh")`).
public func gelu(_ x: Tensor) throws -> Tensor { try unary(.geluTanh, x) }
/// Exact GELU (erf).
public func geluErf(_ x: Tensor) throws -> Tensor { try unary(.geluErf, x) }
public func silu(_ x: Tensor) throws -> Tensor { try unary(.silu, x) }
public func sigmoid(_ x: Tensor) throws -> Tensor { try unary(.sigmoid, x) }
/// CLIP's x·sigmoid(1.702x).
public func quickGelu(_ x: Tensor) throws -> Tensor { try unary(.quickGelu, x) }
public func relu(_ x: Tensor) throws -> Tensor { try unary(.relu, x) }

/// a ∘ b with NumPy broadcasting; both inputs must have the same dtype and backend.
public func binary(_ op: BinaryOp, _ a: Tensor, _ b: Tensor) throws -> Tensor {
    let name = op.rawValue
    let backend = try OpChecks.commonBackend(name, [a, b])
    try OpChecks.requireSameDType(name, a, b)
    try OpChecks.requireFloat(name, a)
    try OpChecks.requireSupport(backend, .binary, a.dtype, op: name)
    let shape = try Shape.broadcast(a.shape, b.shape, op: name)
    let out = try backend.empty(shape, dtype: a.dtype)
    try backend.binary(op, try a.expand(to: shape), try b.expand(to: shape), into: out)
    return out
}

public func maximum(_ a: Tensor, _ b: Tensor) throws -> Tensor { try binary(.maximum, a, b) }
public func minimum(_ a: Tensor, _ b: Tensor) throws -> Tensor { try binary(.minimum, a, b) }

/// x·scale + shift, computed in f32.
public func affine(_ x: Tensor, scale: Float, shift: Float) throws -> Tensor {
    try OpChecks.requireFloat("affine", x)
    try OpChecks.requireSupport(x.backend, .affine, x.dtype, op: "affine")
    let out = try x.backend.empty(x.shape, dtype: x.dtype)
    try x.backend.affine(x, scale: scale, shift: shift, into: out)
    return out
}

extension Tensor {
    public static func + (a: Tensor, b: Tensor) throws -> Tensor { try binary(.add, a, b) }
    public static func - (a: Tensor, b: Tensor) throws -> Tensor { try binary(.sub, a, b) }
    public static func * (a: Tensor, b: Tensor) throws -> Tensor { try binary(.mul, a, b) }
    public static func / (a: Tensor, b: Tensor) throws -> Tensor { try binary(.div, a, b) }

    public static func + (a: Tensor, s: Float) throws -> Tensor { try affine(a, scale: 1, shift: s) }
    public static func + (s: Float, a: Tensor) throws -> Tensor { try affine(a, scale: 1, shift: s) }
    public static func - (a: Tensor, s: Float) throws -> Tensor { try affine(a, scale: 1, shift: -s) }
    public static func - (s: Float, a: Tensor) throws -> Tensor { try affine(a, scale: -1, shift: s) }
    public static func * (a: Tensor, s: Float) throws -> Tensor { try affine(a, scale: s, shift: 0) }
    public static func * (s: Float, a: Tensor) throws -> Tensor { try affine(a, scale: s, shift: 0) }
    /// Multiplies by 1/s (one rounding more than a true division).
    public static func / (a: Tensor, s: Float) throws -> Tensor { try affine(a, scale: 1 / s, shift: 0) }
    public static prefix func - (a: Tensor) throws -> Tensor { try affine(a, scale: -1, shift: 0) }

    /// The elements converted to `dtype` (torch's cast rules: round to nearest even; FP8 overflow to NaN/Inf).
    public func cast(to target: DType) throws -> Tensor {
        if target == dtype { return self }
        try OpChecks.requireSupport(backend, .copy, dtype, op: "cast")
        try OpChecks.requireSupport(backend, .copy, target, op: "cast")
        let out = try backend.empty(shape, dtype: target)
        try backend.copy(self, into: out)
        return out
    }
}
