import BantamCore

// Kernels not written yet: each throws until its file replaces it.
extension CPUBackend {
    func pending(_ op: String) -> TensorError { .unsupported(backend: name, op: op, detail: "not implemented yet") }
    public func unary(_ op: UnaryOp, _ x: Tensor, into out: Tensor) throws { throw pending("unary") }
    public func binary(_ op: BinaryOp, _ a: Tensor, _ b: Tensor, into out: Tensor) throws { throw pending("binary") }
    public func affine(_ x: Tensor, scale: Float, shift: Float, into out: Tensor) throws { throw pending("affine") }
    public func matmul(_ a: Tensor, _ b: Tensor, into out: Tensor) throws { throw pending("matmul") }
    public func linear(_ x: Tensor, weight: Tensor, bias: Tensor?, into out: Tensor) throws { throw pending("linear") }
    public func layerNorm(_ x: Tensor, weight: Tensor?, bias: Tensor?, eps: Float, into out: Tensor) throws { throw pending("layerNorm") }
    public func rmsNorm(_ x: Tensor, weight: Tensor?, eps: Float, into out: Tensor) throws { throw pending("rmsNorm") }
    public func groupNorm(_ x: Tensor, groups: Int, weight: Tensor?, bias: Tensor?, eps: Float, into out: Tensor) throws { throw pending("groupNorm") }
    public func softmax(_ x: Tensor, into out: Tensor) throws { throw pending("softmax") }
    public func reduce(_ op: ReduceOp, _ x: Tensor, axis: Int, into out: Tensor) throws { throw pending("reduce") }
    public func embedding(ids: Tensor, table: Tensor, into out: Tensor) throws { throw pending("embedding") }
}
