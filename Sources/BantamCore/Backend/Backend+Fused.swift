/// Default implementations of the fused ops: the unfused sequence of the backend's own kernels, so a backend
/// without a fused kernel computes the same thing (and the CPU reference stays the unfused computation).
extension Backend {
    /// linear into a scratch tensor, then GELU (tanh) into `out`.
    public func linearGELU(_ x: Tensor, weight: Tensor, bias: Tensor?, into out: Tensor) throws {
        let product = try empty(out.shape, dtype: out.dtype)
        try linear(x, weight: weight, bias: bias, into: product)
        try unary(.geluTanh, product, into: out)
    }
}
