import BantamCore

/// A backend that keeps shapes and dtypes but no data: every allocation is an empty storage and every
/// kernel does nothing. It lets the tests build the full-size FLUX.1 model through a real `WeightLoader`
/// (recipes, concatenations, shape checks, strictness) without 24 GB of weights.
final class FluxShapeOnlyBackend: Backend, @unchecked Sendable {
    final class NoStorage: TensorStorage, @unchecked Sendable {
        let byteCount: Int
        init(byteCount: Int) { self.byteCount = byteCount }
    }

    /// Bytes that a real backend would have allocated.
    private(set) var allocatedBytes = 0

    let name = "shape-only"
    func supports(_ op: OpKind, dtype: DType) -> Bool { true }

    func empty(_ shape: Shape, dtype: DType) throws -> Tensor {
        let bytes = try dtype.byteCount(elements: shape.count)
        allocatedBytes += bytes
        return Tensor(backend: self, storage: NoStorage(byteCount: bytes), dtype: dtype, shape: shape)
    }

    func makeTensor(host: HostBuffer, byteOffset: Int, dtype: DType, shape: Shape) throws -> Tensor {
        try empty(shape, dtype: dtype)
    }

    func toHost(_ tensor: Tensor) throws -> HostBuffer {
        throw TensorError.unsupported(backend: name, op: "toHost", detail: "this test backend holds no data")
    }

    func synchronize() throws {}
    func copy(_ source: Tensor, into destination: Tensor) throws {}
    func fill(_ destination: Tensor, value: Float) throws {}
    func unary(_ op: UnaryOp, _ x: Tensor, into out: Tensor) throws {}
    func binary(_ op: BinaryOp, _ a: Tensor, _ b: Tensor, into out: Tensor) throws {}
    func affine(_ x: Tensor, scale: Float, shift: Float, into out: Tensor) throws {}
    func matmul(_ a: Tensor, _ b: Tensor, into out: Tensor) throws {}
    func linear(_ x: Tensor, weight: Tensor, bias: Tensor?, into out: Tensor) throws {}
    func layerNorm(_ x: Tensor, weight: Tensor?, bias: Tensor?, eps: Float, into out: Tensor) throws {}
    func rmsNorm(_ x: Tensor, weight: Tensor?, eps: Float, into out: Tensor) throws {}
    func groupNorm(_ x: Tensor, groups: Int, weight: Tensor?, bias: Tensor?, eps: Float, into out: Tensor) throws {}
    func softmax(_ x: Tensor, into out: Tensor) throws {}
    func attention(_ q: Tensor, _ k: Tensor, _ v: Tensor, bias: Tensor?, causal: Bool, scale: Float,
                   into out: Tensor) throws {}
    func rope(_ x: Tensor, cos: Tensor, sin: Tensor, style: RopeStyle, into out: Tensor) throws {}
    func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor?, params: Conv2dParams, into out: Tensor) throws {}
    func upsampleNearest2d(_ x: Tensor, factor: Int, into out: Tensor) throws {}
    func reduce(_ op: ReduceOp, _ x: Tensor, axis: Int, into out: Tensor) throws {}
    func embedding(ids: Tensor, table: Tensor, into out: Tensor) throws {}
}
