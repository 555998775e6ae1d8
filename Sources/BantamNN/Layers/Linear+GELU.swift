import BantamCore

extension Linear {
    /// geluTanh(self(x)) in one op (`linearGELU`), so a GPU backend applies the GELU in its GEMM's epilogue.
    /// [..., in] -> [..., out]
    public func gelu(_ x: Tensor) throws -> Tensor {
        try linearGELU(x, weight: weight, bias: bias)
    }
}
