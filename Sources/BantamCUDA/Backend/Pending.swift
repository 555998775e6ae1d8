import BantamCore

/// Ops without a CUDA kernel yet. `supports` answers false for them and the op layer refuses them before
/// they get here; a direct call throws. Kernel helpers: when you add an op, implement it in its own file,
/// delete its line here and add it to `supports`.
extension CUDABackend {
    func pending(_ op: OpKind) -> TensorError {
        TensorError.unsupported(backend: name, op: op.rawValue, detail: "not implemented yet on CUDA (no kernel)")
    }

    public func matmul(_ a: Tensor, _ b: Tensor, into out: Tensor) throws { throw pending(.matmul) }
    public func linear(_ x: Tensor, weight: Tensor, bias: Tensor?, into out: Tensor) throws { throw pending(.linear) }
    public func attention(_ q: Tensor, _ k: Tensor, _ v: Tensor, bias: Tensor?, causal: Bool, scale: Float,
                          into out: Tensor) throws { throw pending(.attention) }
}
