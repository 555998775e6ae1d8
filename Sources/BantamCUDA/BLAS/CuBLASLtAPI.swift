import BantamCore

/// The cuBLASLt entry points Bantam uses, looked up with dlsym in the library `CUDARuntime` opened
/// (nothing is linked at build time), and the C enum values and struct layouts they take.
///
/// Values are those of cublasLt.h / library_types.h / cublas_api.h in CUDA 12.x and 13.x (stable ABI);
/// the scale-mode attributes (`aScaleMode`, `bScaleMode`) exist from cuBLASLt 12.8 on, and outer-vector
/// (per-row / per-column) FP8 scaling from 12.9 on — older libraries reject them and the FP8 path falls
/// back (see `CuBLASLtEngine`).
public struct CuBLASLtAPI: @unchecked Sendable {
    public typealias Handle = OpaquePointer
    public typealias Status = Int32

    public typealias Create = @convention(c) (UnsafeMutablePointer<OpaquePointer?>?) -> Status
    public typealias Destroy = @convention(c) (OpaquePointer?) -> Status
    /// (desc*, cublasComputeType_t, cudaDataType_t scaleType)
    public typealias MatmulDescCreate = @convention(c) (UnsafeMutablePointer<OpaquePointer?>?, Int32, Int32) -> Status
    /// (object, attribute, const void* value, size_t bytes) — for descriptors, layouts and preferences.
    public typealias SetAttribute = @convention(c) (OpaquePointer?, Int32, UnsafeRawPointer?, Int) -> Status
    /// (layout*, cudaDataType_t, uint64 rows, uint64 cols, int64 ld)
    public typealias LayoutCreate = @convention(c) (UnsafeMutablePointer<OpaquePointer?>?, Int32, UInt64, UInt64, Int64) -> Status
    public typealias PreferenceCreate = @convention(c) (UnsafeMutablePointer<OpaquePointer?>?) -> Status
    /// (handle, desc, A, B, C, D layouts, preference, requested count, results[], returned count*)
    public typealias GetHeuristic = @convention(c) (OpaquePointer?, OpaquePointer?, OpaquePointer?, OpaquePointer?,
                                                    OpaquePointer?, OpaquePointer?, OpaquePointer?, Int32,
                                                    UnsafeMutableRawPointer?, UnsafeMutablePointer<Int32>?) -> Status
    /// (handle, desc, alpha*, A, Adesc, B, Bdesc, beta*, C, Cdesc, D, Ddesc, algo*, workspace, bytes, stream)
    public typealias Matmul = @convention(c) (OpaquePointer?, OpaquePointer?, UnsafeRawPointer?,
                                              UnsafeRawPointer?, OpaquePointer?, UnsafeRawPointer?, OpaquePointer?,
                                              UnsafeRawPointer?, UnsafeRawPointer?, OpaquePointer?,
                                              UnsafeMutableRawPointer?, OpaquePointer?, UnsafeRawPointer?,
                                              UnsafeMutableRawPointer?, Int, OpaquePointer?) -> Status

    public let library: DynamicLibrary
    public let create: Create
    public let destroy: Destroy
    public let matmulDescCreate: MatmulDescCreate
    public let matmulDescDestroy: Destroy
    public let matmulDescSetAttribute: SetAttribute
    public let layoutCreate: LayoutCreate
    public let layoutDestroy: Destroy
    public let layoutSetAttribute: SetAttribute
    public let preferenceCreate: PreferenceCreate
    public let preferenceDestroy: Destroy
    public let preferenceSetAttribute: SetAttribute
    public let getHeuristic: GetHeuristic
    public let matmul: Matmul
    /// cublasLtGetVersion: 130100 for 13.1.0.
    public let version: Int

    public init(library: DynamicLibrary) throws {
        self.library = library
        create = try library.function("cublasLtCreate", as: Create.self)
        destroy = try library.function("cublasLtDestroy", as: Destroy.self)
        matmulDescCreate = try library.function("cublasLtMatmulDescCreate", as: MatmulDescCreate.self)
        matmulDescDestroy = try library.function("cublasLtMatmulDescDestroy", as: Destroy.self)
        matmulDescSetAttribute = try library.function("cublasLtMatmulDescSetAttribute", as: SetAttribute.self)
        layoutCreate = try library.function("cublasLtMatrixLayoutCreate", as: LayoutCreate.self)
        layoutDestroy = try library.function("cublasLtMatrixLayoutDestroy", as: Destroy.self)
        layoutSetAttribute = try library.function("cublasLtMatrixLayoutSetAttribute", as: SetAttribute.self)
        preferenceCreate = try library.function("cublasLtMatmulPreferenceCreate", as: PreferenceCreate.self)
        preferenceDestroy = try library.function("cublasLtMatmulPreferenceDestroy", as: Destroy.self)
        preferenceSetAttribute = try library.function("cublasLtMatmulPreferenceSetAttribute", as: SetAttribute.self)
        getHeuristic = try library.function("cublasLtMatmulAlgoGetHeuristic", as: GetHeuristic.self)
        matmul = try library.function("cublasLtMatmul", as: Matmul.self)
        let getVersion = library.optionalFunction("cublasLtGetVersion", as: (@convention(c) () -> Int).self)
        version = getVersion?() ?? 0
    }

    /// Throws a one-line error naming the call and the cuBLAS status.
    public func check(_ status: Status, _ call: @autoclosure () -> String) throws {
        guard status != CuBLASStatus.success else { return }
        throw TensorError.backendFailure(backend: "cuda", detail: "\(call()) failed: \(CuBLASStatus.describe(status))")
    }
}

/// cublasStatus_t.
public enum CuBLASStatus {
    public static let success: Int32 = 0
    public static let invalidValue: Int32 = 7
    public static let notSupported: Int32 = 15

    public static func describe(_ status: Int32) -> String {
        switch status {
        case 0: return "CUBLAS_STATUS_SUCCESS"
        case 1: return "CUBLAS_STATUS_NOT_INITIALIZED"
        case 3: return "CUBLAS_STATUS_ALLOC_FAILED"
        case 7: return "CUBLAS_STATUS_INVALID_VALUE (an argument or combination cuBLASLt does not accept)"
        case 8: return "CUBLAS_STATUS_ARCH_MISMATCH (the GPU lacks a feature this GEMM needs)"
        case 11: return "CUBLAS_STATUS_MAPPING_ERROR"
        case 13: return "CUBLAS_STATUS_EXECUTION_FAILED (the kernel failed to launch or run)"
        case 14: return "CUBLAS_STATUS_INTERNAL_ERROR"
        case 15: return "CUBLAS_STATUS_NOT_SUPPORTED (no algorithm for this combination)"
        case 16: return "CUBLAS_STATUS_LICENSE_ERROR"
        default: return "cuBLAS status \(status)"
        }
    }
}

/// cudaDataType_t codes of the element types cuBLASLt sees.
public enum CudaDataType {
    public static let r32F: Int32 = 0
    public static let r16F: Int32 = 2
    public static let r16BF: Int32 = 14
    public static let r8FE4M3: Int32 = 28
    public static let r8FE5M2: Int32 = 29

    /// The code of a Bantam dtype, or nil when cuBLASLt has no such matrix type here.
    public static func of(_ dtype: DType) -> Int32? {
        switch dtype {
        case .f32: return r32F
        case .f16: return r16F
        case .bf16: return r16BF
        case .f8e4m3fn: return r8FE4M3
        case .f8e5m2: return r8FE5M2
        default: return nil
        }
    }
}

/// cublasComputeType_t.
public enum CuBLASComputeType {
    /// f32 accumulation; f32 inputs run in true f32 (no TF32), 16-bit and FP8 inputs on tensor cores.
    public static let f32: Int32 = 68
    /// f32 inputs rounded to TF32 on the tensor cores (about 1e-3 relative error; opt-in).
    public static let f32FastTF32: Int32 = 77
}

/// cublasLtMatmulDescAttributes_t values (and the sizes of what they take).
public enum MatmulDescAttribute {
    public static let transA: Int32 = 3            // int32 cublasOperation_t
    public static let transB: Int32 = 4            // int32
    public static let epilogue: Int32 = 7          // uint32 cublasLtEpilogue_t
    public static let biasPointer: Int32 = 8       // void*
    public static let aScalePointer: Int32 = 17    // void* (f32 scalar or vector, per the scale mode)
    public static let bScalePointer: Int32 = 18    // void*
    public static let dScalePointer: Int32 = 20    // void*
    public static let fastAccum: Int32 = 25        // int8
    public static let biasDataType: Int32 = 26     // int32 cudaDataType_t
    public static let aScaleMode: Int32 = 31       // int32 cublasLtMatmulMatrixScale_t (cuBLASLt 12.8+)
    public static let bScaleMode: Int32 = 32       // int32
}

/// cublasLtMatrixLayoutAttribute_t values.
public enum MatrixLayoutAttribute {
    public static let batchCount: Int32 = 5            // int32
    public static let stridedBatchOffset: Int32 = 6    // int64, in elements
}

/// cublasLtMatmulPreferenceAttributes_t values.
public enum MatmulPreferenceAttribute {
    public static let maxWorkspaceBytes: Int32 = 1     // uint64
    public static let minAlignmentA: Int32 = 5         // uint32 bytes
    public static let minAlignmentB: Int32 = 6
    public static let minAlignmentC: Int32 = 7
    public static let minAlignmentD: Int32 = 8
}

/// cublasLtMatmulMatrixScale_t values.
public enum MatmulMatrixScale {
    public static let scalar32F: Int32 = 0
    /// One f32 per row of op(A) (length M) and per column of op(B) (length N), FP8 only.
    public static let outerVector32F: Int32 = 3
}

/// cublasLtMatmulAlgo_t (uint64 data[8]) and cublasLtMatmulHeuristicResult_t
/// ({algo; size_t workspaceSize; cublasStatus_t state; float wavesCount; int reserved[4]}) as raw bytes.
public enum CuBLASLtStructs {
    public static let algoBytes = 64
    public static let heuristicResultBytes = 96
    public static let workspaceSizeOffset = 64
    public static let stateOffset = 72
    public static let wavesCountOffset = 76
}
