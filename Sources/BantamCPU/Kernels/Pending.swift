import BantamCore

// Kernels not written yet: each throws until its file replaces it.
extension CPUBackend {
    func pending(_ op: String) -> TensorError { .unsupported(backend: name, op: op, detail: "not implemented yet") }
    public func matmul(_ a: Tensor, _ b: Tensor, into out: Tensor) throws { throw pending("matmul") }
    public func linear(_ x: Tensor, weight: Tensor, bias: Tensor?, into out: Tensor) throws { throw pending("linear") }
}
