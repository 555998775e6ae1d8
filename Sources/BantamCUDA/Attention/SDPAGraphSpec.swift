/// The scaled-dot-product-attention forward graph that Bantam hands to cuDNN, as plain values: tensors
/// (unique id, dims, strides, type, virtual or by-value) and operations on them by id. Pure (no cuDNN
/// calls), so its shapes and wiring are unit-tested on any machine; CUDNNGraphBuilder turns it into
/// backend descriptors.
///
/// Two forms:
/// - `.composite`: the primitive nodes cuDNN's fused flash-attention engines recognize (the pattern the
///   cuDNN frontend emits for SDPA): S = Q·Kᵀ (K given transposed through its strides), S·scale,
///   softmax as max-reduce, subtract, exp, sum-reduce, divide, then O = P·V. Every intermediate is a
///   virtual f32 tensor, so nothing [Lq, Lk]-sized is ever stored.
/// - `.unified`: cuDNN 9.13's single SDPA-forward operation (Q, K, V, O and the scale).
///
/// Q, K, V and O are contiguous [B, H, L, D] tensors of `ioType` (bf16 or f16); the scale is an f32 passed by
/// value at execution.
public struct SDPAGraphSpec: Sendable, Equatable {
    public enum Form: String, Sendable, CaseIterable { case composite, unified }

    /// cudnnDataType_t values used here.
    public enum DataType: Int32, Sendable { case float = 0, half = 2, bfloat16 = 9 }

    public struct TensorSpec: Sendable, Equatable {
        public var uid: Int64
        public var dims: [Int64]
        public var strides: [Int64]
        public var dataType: DataType
        public var isVirtual = false
        public var isByValue = false
    }

    /// cudnnPointwiseMode_t and cudnnReduceTensorOp_t values used here.
    public enum PointwiseMode: Int32, Sendable { case add = 0, mul = 1, div = 6, sub = 9, exp = 13 }
    public enum ReductionMode: Int32, Sendable { case add = 0, max = 3 }

    public enum Operation: Sendable, Equatable {
        /// c = a · b over the last two axes, batched over the first two.
        case matmul(a: Int64, b: Int64, c: Int64)
        /// y = mode(x [, b]); b broadcasts where its dims are 1.
        case pointwise(PointwiseMode, x: Int64, b: Int64?, y: Int64)
        /// y = reduce(x) over the axes where y's dim is 1.
        case reduction(ReductionMode, x: Int64, y: Int64)
        /// cuDNN's unified SDPA forward node.
        case sdpa(q: Int64, k: Int64, v: Int64, o: Int64, scale: Int64)
    }

    /// Ids of the tensors bound at execution (the variant pack).
    public static let q: Int64 = 1, k: Int64 = 2, v: Int64 = 3, o: Int64 = 4, scale: Int64 = 5

    public var form: Form
    public var tensors: [TensorSpec]
    public var operations: [Operation]

    public func tensor(_ uid: Int64) -> TensorSpec? { tensors.first { $0.uid == uid } }

    /// The graph for q [b, h, lq, d], k [b, h, lk, d], v [b, h, lk, dv] -> o [b, h, lq, dv].
    public static func forward(batch b: Int, heads h: Int, queries lq: Int, keys lk: Int, headSize d: Int,
                               valueSize dv: Int, ioType: DataType, form: Form) -> SDPAGraphSpec {
        let (b, h, lq, lk, d, dv) = (Int64(b), Int64(h), Int64(lq), Int64(lk), Int64(d), Int64(dv))
        func dense(_ dims: [Int64]) -> [Int64] {
            var strides = [Int64](repeating: 1, count: dims.count)
            for i in stride(from: dims.count - 2, through: 0, by: -1) { strides[i] = strides[i + 1] * dims[i + 1] }
            return strides
        }
        let qSpec = TensorSpec(uid: q, dims: [b, h, lq, d], strides: dense([b, h, lq, d]), dataType: ioType)
        let vSpec = TensorSpec(uid: v, dims: [b, h, lk, dv], strides: dense([b, h, lk, dv]), dataType: ioType)
        let oSpec = TensorSpec(uid: o, dims: [b, h, lq, dv], strides: dense([b, h, lq, dv]), dataType: ioType)
        let scaleSpec = TensorSpec(uid: scale, dims: [1, 1, 1, 1], strides: [1, 1, 1, 1], dataType: .float, isByValue: true)

        switch form {
        case .unified:
            let kSpec = TensorSpec(uid: k, dims: [b, h, lk, d], strides: dense([b, h, lk, d]), dataType: ioType)
            return SDPAGraphSpec(form: form, tensors: [qSpec, kSpec, vSpec, oSpec, scaleSpec],
                                 operations: [.sdpa(q: q, k: k, v: v, o: o, scale: scale)])
        case .composite:
            // Kᵀ [b, h, d, lk]: the contiguous [b, h, lk, d] buffer with the last two strides swapped.
            let kSpec = TensorSpec(uid: k, dims: [b, h, d, lk], strides: [h * lk * d, lk * d, 1, d], dataType: ioType)
            let scores = [b, h, lq, lk], rows = [b, h, lq, 1]
            func virtual(_ uid: Int64, _ dims: [Int64]) -> TensorSpec {
                TensorSpec(uid: uid, dims: dims, strides: dense(dims), dataType: .float, isVirtual: true)
            }
            // Virtual ids: 101 S, 102 S·scale, 103 row max, 104 S − max, 105 exp, 106 row sum, 107 P.
            let tensors = [qSpec, kSpec, vSpec, oSpec, scaleSpec,
                           virtual(101, scores), virtual(102, scores), virtual(103, rows), virtual(104, scores),
                           virtual(105, scores), virtual(106, rows), virtual(107, scores)]
            let operations: [Operation] = [
                .matmul(a: q, b: k, c: 101),
                .pointwise(.mul, x: 101, b: scale, y: 102),
                .reduction(.max, x: 102, y: 103),
                .pointwise(.sub, x: 102, b: 103, y: 104),
                .pointwise(.exp, x: 104, b: nil, y: 105),
                .reduction(.add, x: 105, y: 106),
                .pointwise(.div, x: 105, b: 106, y: 107),
                .matmul(a: 107, b: v, c: o),
            ]
            return SDPAGraphSpec(form: form, tensors: tensors, operations: operations)
        }
    }

    /// Ids an operation reads and writes.
    public static func io(of operation: Operation) -> (inputs: [Int64], outputs: [Int64]) {
        switch operation {
        case .matmul(let a, let b, let c): return ([a, b], [c])
        case .pointwise(_, let x, let b, let y): return ([x] + (b.map { [$0] } ?? []), [y])
        case .reduction(_, let x, let y): return ([x], [y])
        case .sdpa(let q, let k, let v, let o, let scale): return ([q, k, v, scale], [o])
        }
    }
}
