import BantamCore

/// The reference backend: every op in readable Swift, accumulating in f32, split across the cores.
///
/// Float kernels read f32, f16 or bf16 (converting on the fly), compute in f32 and round once when they
/// write. This is the numerics every GPU kernel is tested against. FP8 and integer tensors can be stored,
/// copied and cast here; `linear` also takes FP8 weights (dequantized row by row, weight-only).
public final class CPUBackend: Backend, @unchecked Sendable {
    /// One shared instance using every core (or `BANTAM_THREADS`).
    public static let shared = CPUBackend()

    public let name = "cpu"
    /// Worker threads for parallel kernels.
    public let threads: Int
    /// The GEMM micro-kernel behind matmul and linear (the fastest this CPU runs, unless forced).
    public let gemmKernel: GemmKernel

    /// `gemmKernel` must be available on this CPU (`GemmKernel.available`); nil picks
    /// `GemmKernel.preferred`, and an unavailable one falls back to the portable Swift kernel.
    public init(threads: Int? = nil, gemmKernel: GemmKernel? = nil) {
        self.threads = max(1, threads ?? Parallel.defaultThreadCount)
        let kernel = gemmKernel ?? GemmKernel.preferred
        self.gemmKernel = kernel.isAvailable ? kernel : .swift
    }

    public func supports(_ op: OpKind, dtype: DType) -> Bool {
        switch op {
        case .copy:
            return true
        case .fill, .upsampleNearest2d:
            return !dtype.isPacked
        case .linear:
            return dtype.isComputeFloat || dtype.isFloat8
        case .unary, .binary, .affine, .matmul, .layerNorm, .rmsNorm, .groupNorm, .softmax, .attention, .rope,
             .conv2d, .reduce, .embedding:
            return dtype.isComputeFloat
        }
    }

    public func synchronize() throws {}

    /// Throws `unsupported` for a dtype this backend does not compute with.
    func require(_ op: OpKind, _ dtype: DType) throws {
        guard supports(op, dtype: dtype) else {
            throw TensorError.unsupported(backend: name, op: op.rawValue, detail: "no CPU kernel for \(dtype)")
        }
    }
}
