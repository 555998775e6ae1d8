import BantamCore

/// Which implementation runs an attention call on the GPU.
public enum AttentionPath: String, Sendable, CaseIterable {
    /// cuDNN's fused attention where it takes the call (bf16/f16, no bias, no causal mask, D = Dv ∈ {64, 128}),
    /// else the flash kernel where it applies, else the generic kernel.
    case automatic = "auto"
    /// cuDNN's fused SDPA (throws when cuDNN is missing or refuses the shape).
    case cudnn
    /// Bantam's flash-attention-2 kernel (attention.cu): bf16/f16, D = Dv ∈ {64, 128}, sm_80+.
    case flash
    /// Bantam's generic kernel: any float type, D and Dv up to 512.
    case generic
}

/// Fused attention: softmax(q·kᵀ·scale + bias [+ causal mask])·v without the [Lq, Lk] matrix.
///
/// `BANTAM_ATTENTION=flash|cudnn|generic|auto` forces a path for every call (for comparisons);
/// `BANTAM_CUDNN=off` keeps cuDNN out of the automatic choice.
extension CUDABackend {
    public func attention(_ q: Tensor, _ k: Tensor, _ v: Tensor, bias: Tensor?, causal: Bool, scale: Float,
                          into out: Tensor) throws {
        let forced = ProcessEnvironment.value("BANTAM_ATTENTION").flatMap(AttentionPath.init(rawValue:))
        try attention(q, k, v, bias: bias, causal: causal, scale: scale, into: out, path: forced ?? .automatic)
    }

    /// Attention through a chosen path; returns the path that ran (for `.automatic`, the one it picked).
    @discardableResult
    public func attention(_ q: Tensor, _ k: Tensor, _ v: Tensor, bias: Tensor?, causal: Bool, scale: Float,
                          into out: Tensor, path: AttentionPath) throws -> AttentionPath {
        guard [DType.f32, .f16, .bf16].contains(q.dtype), k.dtype == q.dtype, v.dtype == q.dtype, out.dtype == q.dtype else {
            throw TensorError.unsupported(backend: name, op: "attention", detail: "dtype \(q.dtype) (CUDA attention takes f32, f16, bf16)")
        }
        guard q.isContiguous, k.isContiguous, v.isContiguous, out.isContiguous else {
            throw TensorError.invalidArgument("attention: q, k, v and out must be contiguous; call .contiguous() first")
        }
        if let bias, bias.dtype != q.dtype {
            throw TensorError.invalidArgument("attention: bias is \(bias.dtype) but q is \(q.dtype); cast it first")
        }
        let (b, h, lq, d) = (q.shape[0], q.shape[1], q.shape[2], q.shape[3])
        let (lk, dv) = (k.shape[2], v.shape[3])
        guard b * h <= 65535 else {
            throw TensorError.unsupported(backend: name, op: "attention", detail: "batch x heads = \(b * h) is over 65535; split the batch")
        }
        guard out.count > 0 else { return path }

        let aligned = try [q, k, v, out].allSatisfy { try address($0) % 16 == 0 }
        let flashFits = (q.dtype == .bf16 || q.dtype == .f16) && d == dv && (d == 64 || d == 128) && aligned
            && device.computeCapability.major >= 8
        switch path {
        case .cudnn:
            guard bias == nil, !causal else {
                throw TensorError.unsupported(backend: name, op: "attention", detail: "the cuDNN path takes no bias or causal mask")
            }
            switch CUDNNAttention.of(self) {
            case .failure(let why): throw TensorError.unsupported(backend: name, op: "attention", detail: why.reason)
            case .success(let cudnn): try cudnn.run(q, k, v, scale: scale, into: out, backend: self)
            }
            return .cudnn
        case .flash:
            guard flashFits else {
                throw TensorError.unsupported(backend: name, op: "attention",
                                              detail: "the flash kernel takes bf16/f16 with D = Dv = 64 or 128 on sm_80+ (got \(q.dtype), D \(d), Dv \(dv))")
            }
            try launchFlashAttention(q, k, v, bias: bias, causal: causal, scale: scale, into: out)
            return .flash
        case .generic:
            try launchGenericAttention(q, k, v, bias: bias, causal: causal, scale: scale, into: out)
            return .generic
        case .automatic:
            if flashFits && bias == nil && !causal && lq > 0 && lk > 0, case .success(let cudnn) = CUDNNAttention.of(self) {
                do {
                    try cudnn.run(q, k, v, scale: scale, into: out, backend: self)
                    return .cudnn
                } catch let error as TensorError {
                    guard case .unsupported = error else { throw error }   // refused shape: use our kernel
                }
            }
            if flashFits {
                try launchFlashAttention(q, k, v, bias: bias, causal: causal, scale: scale, into: out)
                return .flash
            }
            try launchGenericAttention(q, k, v, bias: bias, causal: causal, scale: scale, into: out)
            return .generic
        }
    }

    /// bantam_attention_flash_<dtype>_d<D>[_m2]: grid (⌈Lq/rows⌉, B·H), 128 threads, a Q tile of [rows, D]
    /// and 2 K + 2 V tiles of [64, D] in dynamic shared memory. Rows per block: 64 (16 per warp, Q in
    /// registers) or 128 (`_m2`, 32 per warp), from `flashRowsPerBlock(headSize:)`.
    func launchFlashAttention(_ q: Tensor, _ k: Tensor, _ v: Tensor, bias: Tensor?, causal: Bool, scale: Float,
                              into out: Tensor) throws {
        let (b, h, lq, d) = (q.shape[0], q.shape[1], q.shape[2], q.shape[3])
        let rows = Self.flashRowsPerBlock(headSize: d)
        let name = "bantam_attention_flash_\(q.dtype == .bf16 ? "bf16" : "f16")_d\(d)\(rows == 128 ? "_m2" : "")"
        let kernel = try kernels.function(name, family: "attention")
        let sharedBytes = (rows + 4 * 64) * d * 2
        try AttentionKernelSettings.shared.allowSharedMemory(kernel, bytes: sharedBytes)
        var args = KernelArguments()
        try appendCommon(&args, q, k, v, bias: bias, out: out)
        args.append(Float(Double(scale) * 1.4426950408889634))   // scale in log2 units (the kernel uses exp2)
        args.append(Int32(causal ? 1 : 0))
        try kernel.launch(LaunchShape(grid: (UInt32((lq + rows - 1) / rows), UInt32(b * h), 1), block: (128, 1, 1),
                                      sharedMemoryBytes: UInt32(sharedBytes)), args, on: computeStream)
    }

    /// Query rows per block of the flash kernel: `BANTAM_FLASH_ROWS=64|128` when set, else what measured
    /// faster on the H100 (docs/cuda-notes.md, run 2): 64 for d = 128 (the 128-row variant spills there:
    /// 273 vs 253 TFLOP/s at N = 4608), 128 for d = 64 (288 vs 244 TFLOP/s at N = 4096).
    static func flashRowsPerBlock(headSize: Int) -> Int {
        switch ProcessEnvironment.value("BANTAM_FLASH_ROWS") {
        case "128": return 128
        case "64": return 64
        default: return headSize == 64 ? 128 : 64
        }
    }

    /// bantam_attention_generic_<dtype>: one block of 128 threads per query row; D, Dv up to 512.
    func launchGenericAttention(_ q: Tensor, _ k: Tensor, _ v: Tensor, bias: Tensor?, causal: Bool, scale: Float,
                                into out: Tensor) throws {
        let (b, h, lq, d) = (q.shape[0], q.shape[1], q.shape[2], q.shape[3])
        let dv = v.shape[3]
        guard d <= 512, dv <= 512 else {
            throw TensorError.unsupported(backend: name, op: "attention", detail: "head sizes above 512 (D \(d), Dv \(dv))")
        }
        let kernel = try kernels.function("bantam_attention_generic_\(q.dtype.rawValue)", family: "attention")
        var args = KernelArguments()
        args.append(pointer: try address(q))
        args.append(pointer: try address(k))
        args.append(pointer: try address(v))
        args.append(pointer: try bias.map { try address($0) } ?? 0)
        args.append(pointer: try address(out))
        args.append(Int32(h)); args.append(Int32(lq)); args.append(Int32(k.shape[2]))
        args.append(Int32(d)); args.append(Int32(dv))
        appendBiasStrides(&args, bias)
        args.append(scale)
        args.append(Int32(causal ? 1 : 0))
        try kernel.launch(LaunchShape(grid: (UInt32(lq), UInt32(b * h), 1), block: (128, 1, 1)), args, on: computeStream)
    }

    private func appendCommon(_ args: inout KernelArguments, _ q: Tensor, _ k: Tensor, _ v: Tensor, bias: Tensor?, out: Tensor) throws {
        args.append(pointer: try address(q))
        args.append(pointer: try address(k))
        args.append(pointer: try address(v))
        args.append(pointer: try bias.map { try address($0) } ?? 0)
        args.append(pointer: try address(out))
        args.append(Int32(q.shape[1])); args.append(Int32(q.shape[2])); args.append(Int32(k.shape[2]))
        appendBiasStrides(&args, bias)
    }

    /// The bias view's element strides over [B, H, Lq, Lk] (0 where broadcast; all 0 without a bias).
    private func appendBiasStrides(_ args: inout KernelArguments, _ bias: Tensor?) {
        let strides = bias?.strides ?? [0, 0, 0, 0]
        for s in strides { args.append(Int64(s)) }
    }
}

/// Kernels whose dynamic shared-memory limit was already raised (a driver call, done once per kernel).
final class AttentionKernelSettings: @unchecked Sendable {
    static let shared = AttentionKernelSettings()
    private let lock = Lock()
    private var raised: [ObjectIdentifier: Int] = [:]

    func allowSharedMemory(_ kernel: CUDAFunction, bytes: Int) throws {
        guard bytes > 48 * 1024 else { return }
        try lock.withLock {
            let id = ObjectIdentifier(kernel)
            if let done = raised[id], done >= bytes { return }
            try kernel.setMaxDynamicSharedMemory(bytes)
            raised[id] = bytes
        }
    }
}
