import BantamCore

/// cuBLASLt's descriptors and chosen algorithm for one `GEMMPlanKey`: built once (descriptors, layouts,
/// heuristic query), then reused by every call with the same key. Only addresses change per call.
public final class GEMMPlan: @unchecked Sendable {
    public let key: GEMMPlanKey
    let api: CuBLASLtAPI
    let desc: OpaquePointer
    let aLayout: OpaquePointer
    let bLayout: OpaquePointer
    let dLayout: OpaquePointer
    /// cublasLtMatmulAlgo_t (64 bytes) as the heuristic returned it.
    let algo: UnsafeMutableRawPointer
    /// Workspace bytes the chosen algorithm needs (at most the engine's workspace).
    public let workspaceBytes: Int
    /// Waves of the GPU the algorithm launches, as the heuristic estimated (for reports).
    public let wavesCount: Float
    /// Set after the first successful cublasLtMatmul (guarded by the engine's lock).
    var hasLaunched = false

    /// Builds the descriptors for `key` and asks cuBLASLt's heuristic for the best algorithm that fits
    /// `workspaceLimit`. Returns nil when cuBLASLt has no algorithm for this combination (the caller then
    /// takes another path); throws on other failures.
    static func make(key: GEMMPlanKey, api: CuBLASLtAPI, handle: OpaquePointer, workspaceLimit: Int,
                     scalePointers: (a: UInt64, b: UInt64)?, biasPointer: UInt64?) throws -> GEMMPlan? {
        guard key.isConsistent else {
            throw TensorError.invalidArgument("cuBLASLt plan: inconsistent GEMM description (\(key))")
        }
        guard let aType = CudaDataType.of(key.a.dtype), let bType = CudaDataType.of(key.b.dtype),
              let dType = CudaDataType.of(key.d.dtype) else {
            throw TensorError.unsupported(backend: "cuda", op: "matmul", detail: "cuBLASLt has no \(key.a.dtype)·\(key.b.dtype)→\(key.d.dtype) GEMM")
        }
        var made: [OpaquePointer] = []      // destroyed if anything below fails
        var layouts: [OpaquePointer] = []
        func cleanup() {
            for l in layouts { _ = api.layoutDestroy(l) }
            for d in made { _ = api.matmulDescDestroy(d) }
        }

        var descHandle: OpaquePointer? = nil
        try api.check(api.matmulDescCreate(&descHandle, key.compute.cublasCode, CudaDataType.r32F), "cublasLtMatmulDescCreate")
        guard let desc = descHandle else { throw TensorError.backendFailure(backend: "cuda", detail: "cublasLtMatmulDescCreate returned no descriptor") }
        made.append(desc)
        do {
            func set<T>(_ attribute: Int32, _ value: T, _ name: String) throws {
                var v = value
                try api.check(withUnsafeBytes(of: &v) { api.matmulDescSetAttribute(desc, attribute, $0.baseAddress, $0.count) },
                              "cublasLtMatmulDescSetAttribute(\(name))")
            }
            try set(MatmulDescAttribute.transA, Int32(key.a.matrix.transposed ? 1 : 0), "TRANSA")
            try set(MatmulDescAttribute.transB, Int32(key.b.matrix.transposed ? 1 : 0), "TRANSB")
            try set(MatmulDescAttribute.epilogue, key.epilogue.rawValue, "EPILOGUE")
            if let biasDType = key.biasDType, let code = CudaDataType.of(biasDType), biasDType != key.d.dtype {
                try set(MatmulDescAttribute.biasDataType, code, "BIAS_DATA_TYPE")
            }
            if let biasPointer { try set(MatmulDescAttribute.biasPointer, biasPointer, "BIAS_POINTER") }
            if key.outerVectorScales {
                // Older cuBLASLt (before 12.9) rejects the attribute or the mode: no plan, the caller falls back.
                var mode = MatmulMatrixScale.outerVector32F
                let statusA = withUnsafeBytes(of: &mode) { api.matmulDescSetAttribute(desc, MatmulDescAttribute.aScaleMode, $0.baseAddress, $0.count) }
                let statusB = withUnsafeBytes(of: &mode) { api.matmulDescSetAttribute(desc, MatmulDescAttribute.bScaleMode, $0.baseAddress, $0.count) }
                guard statusA == CuBLASStatus.success, statusB == CuBLASStatus.success else { cleanup(); return nil }
            }
            if let scalePointers {
                try set(MatmulDescAttribute.aScalePointer, scalePointers.a, "A_SCALE_POINTER")
                try set(MatmulDescAttribute.bScalePointer, scalePointers.b, "B_SCALE_POINTER")
            }
            if key.fastAccumulation { try set(MatmulDescAttribute.fastAccum, Int8(1), "FAST_ACCUM") }

            func layout(_ operand: GEMMOperandKey, type: Int32) throws -> OpaquePointer {
                var handle: OpaquePointer? = nil
                let m = operand.matrix
                try api.check(api.layoutCreate(&handle, type, UInt64(m.rows), UInt64(m.cols), Int64(m.ld)),
                              "cublasLtMatrixLayoutCreate(\(m))")
                guard let handle else { throw TensorError.backendFailure(backend: "cuda", detail: "cublasLtMatrixLayoutCreate returned no layout") }
                layouts.append(handle)
                if key.batch > 1 {
                    var count = Int32(key.batch)
                    var stride = Int64(operand.batchStride)
                    try api.check(api.layoutSetAttribute(handle, MatrixLayoutAttribute.batchCount, &count, 4), "cublasLtMatrixLayoutSetAttribute(BATCH_COUNT)")
                    try api.check(api.layoutSetAttribute(handle, MatrixLayoutAttribute.stridedBatchOffset, &stride, 8), "cublasLtMatrixLayoutSetAttribute(STRIDED_BATCH_OFFSET)")
                }
                return handle
            }
            let aLayout = try layout(key.a, type: aType)
            let bLayout = try layout(key.b, type: bType)
            let dLayout = try layout(key.d, type: dType)

            var prefHandle: OpaquePointer? = nil
            try api.check(api.preferenceCreate(&prefHandle), "cublasLtMatmulPreferenceCreate")
            guard let preference = prefHandle else { throw TensorError.backendFailure(backend: "cuda", detail: "cublasLtMatmulPreferenceCreate returned no preference") }
            defer { _ = api.preferenceDestroy(preference) }
            var limit = UInt64(workspaceLimit)
            try api.check(api.preferenceSetAttribute(preference, MatmulPreferenceAttribute.maxWorkspaceBytes, &limit, 8), "cublasLtMatmulPreferenceSetAttribute(MAX_WORKSPACE_BYTES)")
            // Addresses aligned below 256 bytes exclude the kernels that need more.
            for (attribute, alignment) in [(MatmulPreferenceAttribute.minAlignmentA, key.a.alignment), (MatmulPreferenceAttribute.minAlignmentB, key.b.alignment),
                                           (MatmulPreferenceAttribute.minAlignmentC, key.d.alignment), (MatmulPreferenceAttribute.minAlignmentD, key.d.alignment)] {
                var bytes = UInt32(alignment)
                try api.check(api.preferenceSetAttribute(preference, attribute, &bytes, 4), "cublasLtMatmulPreferenceSetAttribute(MIN_ALIGNMENT)")
            }

            let requested = 8
            let results = UnsafeMutableRawPointer.allocate(byteCount: requested * CuBLASLtStructs.heuristicResultBytes, alignment: 16)
            defer { results.deallocate() }
            results.initializeMemory(as: UInt8.self, repeating: 0, count: requested * CuBLASLtStructs.heuristicResultBytes)
            var returned: Int32 = 0
            let status = api.getHeuristic(handle, desc, aLayout, bLayout, dLayout, dLayout, preference, Int32(requested), results, &returned)
            if status == CuBLASStatus.notSupported || status == CuBLASStatus.invalidValue || returned == 0 {
                cleanup()
                return nil
            }
            try api.check(status, "cublasLtMatmulAlgoGetHeuristic(\(key))")
            // The first result that cuBLASLt marks successful and that fits the workspace.
            for i in 0..<Int(returned) {
                let result = results + i * CuBLASLtStructs.heuristicResultBytes
                let state = result.load(fromByteOffset: CuBLASLtStructs.stateOffset, as: Int32.self)
                let workspace = result.load(fromByteOffset: CuBLASLtStructs.workspaceSizeOffset, as: Int.self)
                guard state == CuBLASStatus.success, workspace <= workspaceLimit else { continue }
                let algo = UnsafeMutableRawPointer.allocate(byteCount: CuBLASLtStructs.algoBytes, alignment: 16)
                algo.copyMemory(from: result, byteCount: CuBLASLtStructs.algoBytes)
                let waves = result.load(fromByteOffset: CuBLASLtStructs.wavesCountOffset, as: Float.self)
                return GEMMPlan(key: key, api: api, desc: desc, aLayout: aLayout, bLayout: bLayout, dLayout: dLayout,
                                algo: algo, workspaceBytes: workspace, wavesCount: waves)
            }
            cleanup()
            return nil
        } catch {
            cleanup()
            throw error
        }
    }

    private init(key: GEMMPlanKey, api: CuBLASLtAPI, desc: OpaquePointer, aLayout: OpaquePointer, bLayout: OpaquePointer,
                 dLayout: OpaquePointer, algo: UnsafeMutableRawPointer, workspaceBytes: Int, wavesCount: Float) {
        self.key = key; self.api = api; self.desc = desc
        self.aLayout = aLayout; self.bLayout = bLayout; self.dLayout = dLayout
        self.algo = algo; self.workspaceBytes = workspaceBytes; self.wavesCount = wavesCount
    }

    deinit {
        _ = api.layoutDestroy(aLayout)
        _ = api.layoutDestroy(bLayout)
        _ = api.layoutDestroy(dLayout)
        _ = api.matmulDescDestroy(desc)
        algo.deallocate()
    }

    /// Sets a pointer-valued attribute of the descriptor (bias, scales): read by the next cublasLtMatmul.
    func setPointer(_ attribute: Int32, _ address: UInt64) throws {
        var value = address
        try api.check(api.matmulDescSetAttribute(desc, attribute, &value, 8), "cublasLtMatmulDescSetAttribute(\(attribute))")
    }
}
