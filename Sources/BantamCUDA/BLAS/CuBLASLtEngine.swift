import BantamCore

/// Bantam's cuBLASLt state for one CUDA backend: the handle, a workspace taken from the backend's allocator
/// (so it counts against the VRAM budget), the plan cache and the GEMM settings. Every GEMM runs on the
/// backend's compute stream, in order with the kernels around it.
///
/// Thread safety: plan lookup, the per-call descriptor attributes (bias and scale addresses) and the launch
/// happen under one lock, so concurrent callers never see each other's addresses.
public final class CuBLASLtEngine: @unchecked Sendable {
    public let api: CuBLASLtAPI
    let handle: OpaquePointer
    let context: CUDAContext
    let stream: CUDAStream
    let allocator: CachingAllocator
    /// Workspace for split-K and stream-K algorithms (32 MiB on Hopper when the budget allows).
    let workspace: DeviceAllocation?
    public var workspaceBytes: Int { workspace?.size ?? 0 }
    private let lock = Lock()
    /// nil values record keys that cuBLASLt has no algorithm for (asked once).
    private var plans: [GEMMPlanKey: GEMMPlan?] = [:]
    private var settings = GEMMSettings()
    private var counters = GEMMCounters()

    /// The preferred workspace size: 32 MiB (NVIDIA's recommendation for Hopper), less on a tight budget.
    public static let preferredWorkspace = 32 << 20

    init(runtime: CUDARuntime, context: CUDAContext, stream: CUDAStream, allocator: CachingAllocator,
         environment: [String: String]) throws {
        let library: DynamicLibrary
        switch runtime.cublasLt {
        case .success(let lib): library = lib
        case .failure(let why):
            throw TensorError.unsupported(backend: "cuda", op: "matmul", detail: "GEMMs need cuBLASLt: \(why.reason)")
        }
        let api = try CuBLASLtAPI(library: library)
        try context.makeCurrent()
        var handle: OpaquePointer? = nil
        try api.check(api.create(&handle), "cublasLtCreate")
        guard let handle else { throw TensorError.backendFailure(backend: "cuda", detail: "cublasLtCreate returned no handle") }
        self.api = api
        self.handle = handle
        self.context = context
        self.stream = stream
        self.allocator = allocator
        // A smaller workspace only narrows the algorithms cuBLASLt may pick; none at all still works.
        var workspace: DeviceAllocation? = nil
        for bytes in [Self.preferredWorkspace, 4 << 20] where workspace == nil {
            workspace = try? allocator.allocate(bytes: bytes)
        }
        self.workspace = workspace
        settings.allowTF32 = environment["BANTAM_TF32"] == "1"
        if let path = environment["BANTAM_FP8_PATH"], let value = FP8Path(rawValue: path) { settings.fp8Path = value }
        if environment["BANTAM_FP8_PRECISE_ACCUMULATION"] == "1" { settings.fp8FastAccumulation = false }
    }

    deinit {
        plans.removeAll()
        _ = api.destroy(handle)
        if let workspace { allocator.free(workspace) }
    }

    /// The GEMM settings (TF32, FP8 path, fast accumulation); changes apply to later calls.
    public var gemmSettings: GEMMSettings {
        get { lock.withLock { settings } }
        set { lock.withLock { settings = newValue } }
    }

    /// Plans built, plan-cache hits and launches so far.
    public var statistics: GEMMCounters { lock.withLock { counters } }

    /// Counts the FP8 linear path a call took (reports and tests say which path ran).
    func recordFP8(_ path: FP8PathTaken) {
        lock.withLock { counters.fp8Paths[path.rawValue, default: 0] += 1 }
    }

    /// The plan for `key` (built on first use), or nil when cuBLASLt has no algorithm for it.
    /// `scalePointers` and `biasPointer` are set on a new plan's descriptor before the heuristic query.
    public func plan(for key: GEMMPlanKey, scalePointers: (a: UInt64, b: UInt64)? = nil, biasPointer: UInt64? = nil) throws -> GEMMPlan? {
        try lock.withLock { try lockedPlan(key, scalePointers: scalePointers, biasPointer: biasPointer) }
    }

    private func lockedPlan(_ key: GEMMPlanKey, scalePointers: (a: UInt64, b: UInt64)?, biasPointer: UInt64?) throws -> GEMMPlan? {
        if let cached = plans[key] {
            counters.cacheHits += 1
            return cached
        }
        try context.makeCurrent()
        let plan = try GEMMPlan.make(key: key, api: api, handle: handle, workspaceLimit: workspaceBytes,
                                     scalePointers: scalePointers, biasPointer: biasPointer)
        plans[key] = .some(plan)
        counters.plansBuilt += 1
        if plan == nil { counters.unsupportedKeys += 1 }
        return plan
    }

    /// Runs D = op(A)·op(B) (+ epilogue) for `key` with these addresses on the compute stream. Returns false
    /// (nothing launched) when cuBLASLt has no algorithm for the key.
    @discardableResult
    public func run(_ key: GEMMPlanKey, a: UInt64, b: UInt64, d: UInt64, bias: UInt64? = nil,
                    scales: (a: UInt64, b: UInt64)? = nil) throws -> Bool {
        try lock.withLock {
            guard let plan = try lockedPlan(key, scalePointers: scales, biasPointer: bias) else { return false }
            try context.makeCurrent()
            if let bias { try plan.setPointer(MatmulDescAttribute.biasPointer, bias) }
            if let scales {
                try plan.setPointer(MatmulDescAttribute.aScalePointer, scales.a)
                try plan.setPointer(MatmulDescAttribute.bScalePointer, scales.b)
            }
            let status = launchStatus(plan, a: a, b: b, d: d)
            // Some combinations pass the heuristic and are refused only here (e.g. scale modes an older
            // library does not implement): remember the key as unsupported so the caller's fallback runs.
            if (status == CuBLASStatus.invalidValue || status == CuBLASStatus.notSupported) && !plan.hasLaunched {
                plans[key] = .some(nil)
                counters.unsupportedKeys += 1
                return false
            }
            try api.check(status, "cublasLtMatmul(\(plan.key))")
            plan.hasLaunched = true
            counters.launches += 1
            return true
        }
    }

    /// cublasLtMatmul alone with a ready plan: no lookup, no attribute changes (bias and scale addresses
    /// stay as the last `run` set them). What "cuBLASLt alone" means in the benchmarks.
    public func launchPrepared(_ plan: GEMMPlan, a: UInt64, b: UInt64, d: UInt64) throws {
        try launch(plan, a: a, b: b, d: d)
    }

    private func launch(_ plan: GEMMPlan, a: UInt64, b: UInt64, d: UInt64) throws {
        try api.check(launchStatus(plan, a: a, b: b, d: d), "cublasLtMatmul(\(plan.key))")
    }

    private func launchStatus(_ plan: GEMMPlan, a: UInt64, b: UInt64, d: UInt64) -> CuBLASLtAPI.Status {
        var alpha: Float = 1, beta: Float = 0
        let status = api.matmul(handle, plan.desc, &alpha,
                                UnsafeRawPointer(bitPattern: UInt(a)), plan.aLayout,
                                UnsafeRawPointer(bitPattern: UInt(b)), plan.bLayout, &beta,
                                UnsafeRawPointer(bitPattern: UInt(d)), plan.dLayout,
                                UnsafeMutableRawPointer(bitPattern: UInt(d)), plan.dLayout,
                                plan.algo, UnsafeMutableRawPointer(bitPattern: UInt(workspace?.address ?? 0)),
                                plan.workspaceBytes, stream.handle)
        return status
    }
}

/// Which FP8 linear path runs.
public enum FP8Path: String, Sendable, CaseIterable {
    /// W8A8 on FP8 tensor cores where the GPU has them (sm_89+), otherwise weight-only.
    case auto
    /// Always dequantize the weight to the activations' dtype and run a 16-bit GEMM (sm_80/86 path).
    case weightOnly
}

/// GEMM behaviour of a backend (`gemmEngine().gemmSettings`; BANTAM_TF32=1, BANTAM_FP8_PATH=weightOnly and
/// BANTAM_FP8_PRECISE_ACCUMULATION=1 set them from the environment).
public struct GEMMSettings: Sendable, Equatable {
    /// f32 GEMMs on TF32 tensor cores. Off by default: f32 results then match the CPU reference to f32
    /// rounding (TF32 keeps 10 mantissa bits: about 1e-3 relative error).
    public var allowTF32 = false
    public var fp8Path = FP8Path.auto
    /// FP8 GEMMs accumulate in the tensor cores' own accumulator throughout (CUBLASLT_MATMUL_DESC_FAST_ACCUM)
    /// instead of promoting partial sums to f32 every few K steps. On by default: about 1.3x the FP8
    /// throughput on the H100 (docs/cuda-gemm.md), at the cost of a larger accumulation error over long K
    /// (the usual choice for inference; BANTAM_FP8_PRECISE_ACCUMULATION=1 turns it off).
    public var fp8FastAccumulation = true
    public init() {}
}

/// Counts for reports and tests.
public struct GEMMCounters: Sendable, Equatable {
    public var plansBuilt = 0
    public var unsupportedKeys = 0
    public var cacheHits = 0
    public var launches = 0
    /// FP8 linear calls per path (`FP8PathTaken.rawValue`).
    public var fp8Paths: [String: Int] = [:]
}
