import BantamCore

/// Ops without a CUDA kernel yet. `supports` answers false for them and the op layer refuses them before
/// they get here; a direct call throws. Kernel helpers: when you add an op, implement it in its own file,
/// delete its line here and add it to `supports`.
extension CUDABackend {
    func pending(_ op: OpKind) -> TensorError {
        TensorError.unsupported(backend: name, op: op.rawValue, detail: "not implemented yet on CUDA (no kernel)")
    }

    public func unary(_ op: UnaryOp, _ x: Tensor, into out: Tensor) throws { throw pending(.unary) }
    public func binary(_ op: BinaryOp, _ a: Tensor, _ b: Tensor, into out: Tensor) throws { throw pending(.binary) }
    public func affine(_ x: Tensor, scale: Float, shift: Float, into out: Tensor) throws { throw pending(.affine) }
    public func matmul(_ a: Tensor, _ b: Tensor, into out: Tensor) throws { throw pending(.matmul) }
    public func linear(_ x: Tensor, weight: Tensor, bias: Tensor?, into out: Tensor) throws { throw pending(.linear) }
    public func layerNorm(_ x: Tensor, weight: Tensor?, bias: Tensor?, eps: Float, into out: Tensor) throws { throw pending(.layerNorm) }
    public func rmsNorm(_ x: Tensor, weight: Tensor?, eps: Float, into out: Tensor) throws { throw pending(.rmsNorm) }
    public func groupNorm(_ x: Tensor, groups: Int, weight: Tensor?, bias: Tensor?, eps: Float, into out: Tensor) throws { throw pending(.groupNorm) }
    public func softmax(_ x: Tensor, into out: Tensor) throws { throw pending(.softmax) }
    public func attention(_ q: Tensor, _ k: Tensor, _ v: Tensor, bias: Tensor?, causal: Bool, scale: Float,
                          into out: Tensor) throws { throw pending(.attention) }
    public func rope(_ x: Tensor, cos: Tensor, sin: Tensor, style: RopeStyle, into out: Tensor) throws { throw pending(.rope) }
    public func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor?, params: Conv2dParams, into out: Tensor) throws { throw pending(.conv2d) }
    public func upsampleNearest2d(_ x: Tensor, factor: Int, into out: Tensor) throws { throw pending(.upsampleNearest2d) }
    public func reduce(_ op: ReduceOp, _ x: Tensor, axis: Int, into out: Tensor) throws { throw pending(.reduce) }
    public func embedding(ids: Tensor, table: Tensor, into out: Tensor) throws { throw pending(.embedding) }
}
