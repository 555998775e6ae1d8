import BantamCore

extension Linear {
    /// geluTanh(self(x)) in one op (`linearGELU`) for a dense weight, so a GPU backend applies the GELU in
    /// its GEMM's epilogue; a quantized weight takes its own linear, then the GELU.
    /// [..., in] -> [..., out]
    public func gelu(_ x: Tensor) throws -> Tensor {
        if case .dense(let w) = weight { return try linearGELU(x, weight: w, bias: bias) }
        return try BantamCore.gelu(try self(x))
    }
}
