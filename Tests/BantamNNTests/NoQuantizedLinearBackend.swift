import BantamCore
import BantamCPU

/// The CPU backend without the quantized linears (as a GPU backend is before its FP8 / NF4 kernels land):
/// answers false for `.linearFP8` and `.linearNF4` and forwards everything else. Tensors it makes belong
/// to the CPU backend.
final class NoQuantizedLinearBackend: Backend, @unchecked Sendable {
    let cpu = CPUBackend.shared
    var name: String { "no-quantized-linear" }

    func supports(_ op: OpKind, dtype: DType) -> Bool {
        op == .linearFP8 || op == .linearNF4 ? false : cpu.supports(op, dtype: dtype)
    }
    func empty(_ shape: Shape, dtype: DType) throws -> Tensor { try cpu.empty(shape, dtype: dtype) }
    func makeTensor(host: HostBuffer, byteOffset: Int, dtype: DType, shape: Shape) throws -> Tensor {
        try cpu.makeTensor(host: host, byteOffset: byteOffset, dtype: dtype, shape: shape)
    }
    func toHost(_ tensor: Tensor) throws -> HostBuffer { try cpu.toHost(tensor) }
    func synchronize() throws {}
    func copy(_ source: Tensor, into destination: Tensor) throws { try cpu.copy(source, into: destination) }
    func fill(_ destination: Tensor, value: Float) throws { try cpu.fill(destination, value: value) }
    func unary(_ op: UnaryOp, _ x: Tensor, into out: Tensor) throws { try cpu.unary(op, x, into: out) }
    func binary(_ op: BinaryOp, _ a: Tensor, _ b: Tensor, into out: Tensor) throws { try cpu.binary(op, a, b, into: out) }
    func affine(_ x: Tensor, scale: Float, shift: Float, into out: Tensor) throws { try cpu.affine(x, scale: scale, shift: shift, into: out) }
    func matmul(_ a: Tensor, _ b: Tensor, into out: Tensor) throws { try cpu.matmul(a, b, into: out) }
    func linear(_ x: Tensor, weight: Tensor, bias: Tensor?, into out: Tensor) throws { try cpu.linear(x, weight: weight, bias: bias, into: out) }
    func layerNorm(_ x: Tensor, weight: Tensor?, bias: Tensor?, eps: Float, into out: Tensor) throws {
        try cpu.layerNorm(x, weight: weight, bias: bias, eps: eps, into: out)
    }
    func rmsNorm(_ x: Tensor, weight: Tensor?, eps: Float, into out: Tensor) throws { try cpu.rmsNorm(x, weight: weight, eps: eps, into: out) }
    func groupNorm(_ x: Tensor, groups: Int, weight: Tensor?, bias: Tensor?, eps: Float, into out: Tensor) throws {
        try cpu.groupNorm(x, groups: groups, weight: weight, bias: bias, eps: eps, into: out)
    }
    func softmax(_ x: Tensor, into out: Tensor) throws { try cpu.softmax(x, into: out) }
    func attention(_ q: Tensor, _ k: Tensor, _ v: Tensor, bias: Tensor?, causal: Bool, scale: Float, into out: Tensor) throws {
        try cpu.attention(q, k, v, bias: bias, causal: causal, scale: scale, into: out)
    }
    func rope(_ x: Tensor, cos: Tensor, sin: Tensor, style: RopeStyle, into out: Tensor) throws {
        try cpu.rope(x, cos: cos, sin: sin, style: style, into: out)
    }
    func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor?, params: Conv2dParams, into out: Tensor) throws {
        try cpu.conv2d(x, weight: weight, bias: bias, params: params, into: out)
    }
    func upsampleNearest2d(_ x: Tensor, factor: Int, into out: Tensor) throws { try cpu.upsampleNearest2d(x, factor: factor, into: out) }
    func reduce(_ op: ReduceOp, _ x: Tensor, axis: Int, into out: Tensor) throws { try cpu.reduce(op, x, axis: axis, into: out) }
    func embedding(ids: Tensor, table: Tensor, into out: Tensor) throws { try cpu.embedding(ids: ids, table: table, into: out) }
}
