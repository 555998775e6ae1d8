import BantamCore

// Kernels not written yet: each throws until its file replaces it.
extension CPUBackend {
    func pending(_ op: String) -> TensorError { .unsupported(backend: name, op: op, detail: "not implemented yet") }
    public func matmul(_ a: Tensor, _ b: Tensor, into out: Tensor) throws { throw pending("matmul") }
    public func linear(_ x: Tensor, weight: Tensor, bias: Tensor?, into out: Tensor) throws { throw pending("linear") }
    public func attention(_ q: Tensor, _ k: Tensor, _ v: Tensor, bias: Tensor?, causal: Bool, scale: Float, into out: Tensor) throws { throw pending("attention") }
    public func rope(_ x: Tensor, cos: Tensor, sin: Tensor, style: RopeStyle, into out: Tensor) throws { throw pending("rope") }
    public func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor?, params: Conv2dParams, into out: Tensor) throws { throw pending("conv2d") }
    public func upsampleNearest2d(_ x: Tensor, factor: Int, into out: Tensor) throws { throw pending("upsampleNearest2d") }
}
