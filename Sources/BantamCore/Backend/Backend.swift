/// A place where tensors live and ops run: the CPU (the reference), a CUDA GPU, ...
///
/// Model code never talks to a backend directly; it calls the ops in `Ops/`, which validate shapes and
/// dtypes once, allocate the output on the inputs' backend and call the kernel methods below. Kernel
/// methods therefore receive validated arguments and write into a fresh, contiguous `out` of the right
/// shape (only `copy` writes into arbitrary strides). A backend that cannot run an op for the given dtypes
/// says so in `supports` and throws `TensorError.unsupported` if called anyway; it never falls back quietly.
public protocol Backend: AnyObject, Sendable {
    /// Short name used in messages: "cpu", "cuda:0".
    var name: String { get }

    /// Whether `op` runs on this backend when its main input has `dtype`.
    func supports(_ op: OpKind, dtype: DType) -> Bool

    // MARK: memory

    /// A new contiguous tensor with undefined contents.
    func empty(_ shape: Shape, dtype: DType) throws -> Tensor
    /// A tensor of `shape` whose bytes are `host.bytes[byteOffset...]` (contiguous). The CPU wraps the
    /// memory without copying; device backends upload it.
    func makeTensor(host: HostBuffer, byteOffset: Int, dtype: DType, shape: Shape) throws -> Tensor
    /// The bytes of a contiguous tensor, in host memory.
    func toHost(_ tensor: Tensor) throws -> HostBuffer
    /// Waits until all queued work is done (a no-op on synchronous backends).
    func synchronize() throws

    // MARK: kernels (arguments validated by the op layer)

    /// dst[i] = convert(src[i]) for same-shaped tensors of any strides; dtypes may differ (a cast).
    func copy(_ source: Tensor, into destination: Tensor) throws
    func fill(_ destination: Tensor, value: Float) throws
    func unary(_ op: UnaryOp, _ x: Tensor, into out: Tensor) throws
    /// `a` and `b` are views already broadcast to `out.shape` (zero strides where broadcast).
    func binary(_ op: BinaryOp, _ a: Tensor, _ b: Tensor, into out: Tensor) throws
    /// out = x·scale + shift.
    func affine(_ x: Tensor, scale: Float, shift: Float, into out: Tensor) throws
    /// Batched matrix product: a [batch, M, K] · b [batch, K, N] -> out [batch, M, N]. `a` and `b` may have
    /// any strides (a transposed weight, a broadcast batch with stride 0).
    func matmul(_ a: Tensor, _ b: Tensor, into out: Tensor) throws
    /// out [rows, N] = x [rows, K] · weightᵀ + bias, with weight stored [N, K] as in PyTorch's Linear.
    func linear(_ x: Tensor, weight: Tensor, bias: Tensor?, into out: Tensor) throws
    /// Normalizes over the last axis; weight and bias are [last] or nil.
    func layerNorm(_ x: Tensor, weight: Tensor?, bias: Tensor?, eps: Float, into out: Tensor) throws
    /// x·rsqrt(mean(x²) + eps)·weight over the last axis (no mean subtraction).
    func rmsNorm(_ x: Tensor, weight: Tensor?, eps: Float, into out: Tensor) throws
    /// x is [N, C, spatial...]; statistics per (sample, group); weight and bias are [C] or nil.
    func groupNorm(_ x: Tensor, groups: Int, weight: Tensor?, bias: Tensor?, eps: Float, into out: Tensor) throws
    /// Softmax over the last axis.
    func softmax(_ x: Tensor, into out: Tensor) throws
    /// softmax(q·kᵀ·scale + bias [+ causal mask])·v. q [B, H, Lq, D], k [B, H, Lk, D], v [B, H, Lk, Dv]
    /// (contiguous); bias is nil or a view expanded to [B, H, Lq, Lk] (zero strides where broadcast);
    /// out [B, H, Lq, Dv]. With `causal`, query i sees keys j ≤ i (PyTorch's
    /// `is_causal`, top-left aligned). A row whose scores are all −inf (fully masked) gives zeros, as
    /// PyTorch 2.13's scaled_dot_product_attention does; a NaN score makes its row NaN.
    func attention(_ q: Tensor, _ k: Tensor, _ v: Tensor, bias: Tensor?, causal: Bool, scale: Float,
                   into out: Tensor) throws
    /// Rotary embedding of x [B, H, L, D] with angles given as cos, sin [L, D/2] (f32).
    func rope(_ x: Tensor, cos: Tensor, sin: Tensor, style: RopeStyle, into out: Tensor) throws
    /// x [N, C, H, W] * weight [O, C/groups, KH, KW] (+ bias [O]) -> out [N, O, OH, OW].
    func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor?, params: Conv2dParams, into out: Tensor) throws
    /// Nearest-neighbour upsampling of x [N, C, H, W] by an integer factor.
    func upsampleNearest2d(_ x: Tensor, factor: Int, into out: Tensor) throws
    /// out [rows, N] = geluTanh(x [rows, K] · weightᵀ + bias): `linear` with GELU (tanh approximation) fused
    /// where the backend can (cuBLASLt's epilogue). Default (Backend+Fused.swift): linear, then GELU.
    func linearGELU(_ x: Tensor, weight: Tensor, bias: Tensor?, into out: Tensor) throws
    /// Reduces `axis` of x; out has that axis of size 1 and may be f32 for a low-precision x.
    func reduce(_ op: ReduceOp, _ x: Tensor, axis: Int, into out: Tensor) throws
    /// Rows of `table` [V, D] picked by integer `ids` (any shape) -> out [ids..., D].
    func embedding(ids: Tensor, table: Tensor, into out: Tensor) throws

    // MARK: fused ops (defaults in Backend+FusedNorms.swift compose the kernels above)

    /// out = (1 + scale)·LayerNorm(x) + shift (no affine LayerNorm; FLUX's adaLN): x [B, L, D] contiguous,
    /// shift and scale [B, 1, D] views with stride 1 along D, all of x's dtype. The default rounds where the
    /// composition does (each intermediate is a tensor of x's dtype); fused kernels must too.
    func modulatedLayerNorm(_ x: Tensor, shift: Tensor, scale: Tensor, eps: Float, into out: Tensor) throws
    /// out = x + gate·y: x, y [B, L, D] contiguous, gate [B, 1, D] with stride 1 along D (the gated residual
    /// of FLUX blocks); gate·y is rounded to x's dtype before the sum, as in the composition.
    func gatedResidual(_ x: Tensor, gate: Tensor, _ y: Tensor, into out: Tensor) throws
    /// out = rope(rmsNorm(x, weight), cos, sin): x [B, H, L, D] with stride 1 along D (any strides over B,
    /// H, L, e.g. q, k split from a fused projection), weight [D], cos, sin [L, D/2] contiguous; out
    /// contiguous. The normalized x is rounded to x's dtype before the rotation, as in the composition.
    func qkNormRope(_ x: Tensor, weight: Tensor, cos: Tensor, sin: Tensor, eps: Float, style: RopeStyle,
                    into out: Tensor) throws
}
