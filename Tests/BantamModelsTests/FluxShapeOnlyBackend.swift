import BantamCore

/// A backend that keeps shapes and dtypes but no data: every allocation is an empty storage and every
/// kernel does nothing. It lets the tests build the full-size FLUX.1 model through a real `WeightLoader`
/// (recipes, concatenations, shape checks, strictness) without 24 GB of weights, run its forward through
/// every op's shape checks, and measure the bytes a real backend would hold at the peak.
/// Single-threaded use only (one instance per test).
final class FluxShapeOnlyBackend: Backend, @unchecked Sendable {
    /// Live and peak bytes of the storages this backend has handed out.
    final class Meter: @unchecked Sendable {
        var live = 0
        var peak = 0
        var total = 0
        func add(_ bytes: Int) { live += bytes; total += bytes; peak = max(peak, live) }
        func resetPeak() { peak = live }
    }

    /// Storage without memory; host data is kept only for tensors made from host values (ids, timesteps),
    /// which the model reads back.
    final class NoStorage: TensorStorage, @unchecked Sendable {
        let byteCount: Int
        let host: HostBuffer?
        let meter: Meter
        init(byteCount: Int, host: HostBuffer?, meter: Meter) {
            self.byteCount = byteCount
            self.host = host
            self.meter = meter
            meter.add(byteCount)
        }
        deinit { meter.live -= byteCount }
    }

    let meter = Meter()
    let name = "shape-only"
    func supports(_ op: OpKind, dtype: DType) -> Bool { true }

    func empty(_ shape: Shape, dtype: DType) throws -> Tensor {
        let bytes = try dtype.byteCount(elements: shape.count)
        return Tensor(backend: self, storage: NoStorage(byteCount: bytes, host: nil, meter: meter), dtype: dtype, shape: shape)
    }

    func makeTensor(host: HostBuffer, byteOffset: Int, dtype: DType, shape: Shape) throws -> Tensor {
        let bytes = try dtype.byteCount(elements: shape.count)
        let copy = HostBuffer(byteCount: bytes)
        copy.base.copyMemory(from: host.base + byteOffset, byteCount: bytes)
        return Tensor(backend: self, storage: NoStorage(byteCount: bytes, host: copy, meter: meter), dtype: dtype, shape: shape)
    }

    /// The host values of a tensor made from host data; zeros for anything computed here.
    func toHost(_ tensor: Tensor) throws -> HostBuffer {
        let bytes = tensor.byteCount
        if let host = (tensor.storage as? NoStorage)?.host, tensor.offset == 0, host.byteCount == bytes { return host }
        let zeros = HostBuffer(byteCount: bytes)
        zeros.base.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
        return zeros
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
