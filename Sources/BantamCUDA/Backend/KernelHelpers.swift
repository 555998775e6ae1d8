import BantamCore

/// Small pieces shared by the kernel launchers (element-wise, norms, softmax, rope, reduce, conv).

extension DType {
    /// Suffix of the per-dtype kernels ("f32", "f16", "bf16"); nil for other dtypes.
    var floatKernelSuffix: String? {
        switch self {
        case .f32: return "f32"
        case .f16: return "f16"
        case .bf16: return "bf16"
        default: return nil
        }
    }

    /// Elements in one 16-byte vector (4 for f32, 8 for f16/bf16).
    var elementsPer16Bytes: Int { 16 / bytesPerBlock }
}

extension UnaryOp {
    /// The op code of elementwise.cu (BT_U_*).
    var cudaCode: Int32 {
        switch self {
        case .geluTanh: return 0
        case .geluErf: return 1
        case .silu: return 2
        case .sigmoid: return 3
        case .quickGelu: return 4
        case .relu: return 5
        case .exp: return 6
        case .tanh: return 7
        case .sqrt: return 8
        case .rsqrt: return 9
        case .square: return 10
        case .neg: return 11
        case .abs: return 12
        }
    }
}

extension BinaryOp {
    /// The op code of elementwise.cu (BT_B_*).
    var cudaCode: Int32 {
        switch self {
        case .add: return 0
        case .sub: return 1
        case .mul: return 2
        case .div: return 3
        case .maximum: return 4
        case .minimum: return 5
        }
    }
}

/// How a row kernel (norms, softmax) splits its rows over threads: a team of `team` threads per row, each
/// holding up to `perThread` vectors. Teams of at most 32 threads (a power of two) share a 256-thread block;
/// larger teams (a multiple of 32) are the block. Nil when the row needs more than 1024 threads.
struct RowTeam: Equatable {
    let team: Int
    let blockThreads: Int
    let rowsPerBlock: Int

    init?(vectors: Int, perThread: Int) {
        let needed = max(1, (vectors + perThread - 1) / perThread)
        if needed <= 32 {
            var t = 1
            while t < needed { t *= 2 }
            team = t
            blockThreads = 256
            rowsPerBlock = 256 / t
        } else {
            let t = (needed + 31) / 32 * 32
            guard t <= 1024 else { return nil }
            team = t
            blockThreads = t
            rowsPerBlock = 1
        }
    }

    func launch(rows: Int) -> LaunchShape {
        LaunchShape(grid: (UInt32((rows + rowsPerBlock - 1) / rowsPerBlock), 1, 1), block: (UInt32(blockThreads), 1, 1))
    }
}

extension CUDABackend {
    /// The address of an optional tensor, or 0 (a null pointer in the kernel).
    func address(orNull tensor: Tensor?) throws -> CUdeviceptr {
        guard let tensor else { return 0 }
        return try address(tensor)
    }

    /// A compute-float dtype's kernel suffix, or an `unsupported` error naming the op.
    func floatSuffix(_ dtype: DType, op: String) throws -> String {
        guard let suffix = dtype.floatKernelSuffix else {
            throw TensorError.unsupported(backend: name, op: op, detail: "no CUDA kernel for \(dtype); use f32, f16 or bf16")
        }
        return suffix
    }

    /// A contiguous copy of a norm parameter, or nil; checks the dtype.
    func parameterVector(_ t: Tensor?, op: String) throws -> Tensor? {
        guard let t else { return nil }
        guard t.dtype.isComputeFloat else {
            throw TensorError.dtypeMismatch(op: op, detail: "parameter is \(t.dtype); expected f32, f16 or bf16")
        }
        return try t.contiguous()
    }
}

extension UInt64 {
    /// Whether this address is a multiple of `bytes`.
    func isAligned(_ bytes: Int) -> Bool { self % UInt64(bytes) == 0 }
}
