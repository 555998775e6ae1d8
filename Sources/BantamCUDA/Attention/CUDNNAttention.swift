import BantamCore

/// cuDNN's fused attention for one backend: the cuDNN handle (on the backend's compute stream) and one
/// execution plan per shape, built on first use and kept.
///
/// Takes q, k, v [B, H, L, D] contiguous bf16/f16 without bias or causal mask (the shapes of the diffusion
/// transformers); anything cuDNN refuses is remembered per shape so the caller falls back to Bantam's own
/// kernel without asking cuDNN again.
public final class CUDNNAttention: @unchecked Sendable {
    public let api: CUDNNAPI
    let handle: OpaquePointer
    private let lock = Lock()
    private var plans: [Key: CUDNNPlan] = [:]
    private var refused: [Key: String] = [:]
    /// Forms tried in order (BANTAM_CUDNN_SDPA=composite|unified narrows it to one).
    let forms: [SDPAGraphSpec.Form]

    struct Key: Hashable {
        var b, h, lq, lk, d, dv: Int
        var dtype: DType
    }

    init(api: CUDNNAPI, backend: CUDABackend) throws {
        self.api = api
        try backend.context.makeCurrent()
        var handle: OpaquePointer? = nil
        try api.check(api.cudnnCreate(&handle), "cudnnCreate")
        guard let handle else { throw TensorError.backendFailure(backend: backend.name, detail: "cudnnCreate returned no handle") }
        self.handle = handle
        try api.check(api.cudnnSetStream(handle, backend.computeStream.handle), "cudnnSetStream")
        switch ProcessEnvironment.value("BANTAM_CUDNN_SDPA") {
        case "composite": forms = [.composite]
        case "unified": forms = [.unified]
        // The unified node first where it exists: cuDNN 9.14 on the H100 found no engine for the composite
        // graph (docs/cuda-notes.md), so the composite form is only the attempt for cuDNN 9.0-9.12.
        default: forms = api.version >= 91301 ? [.unified, .composite] : [.composite]
        }
    }

    deinit { _ = api.cudnnDestroy(handle) }

    private static let registryLock = Lock()
    nonisolated(unsafe) private static var registry: [ObjectIdentifier: Result<CUDNNAttention, CUDAUnavailable>] = [:]

    /// The cuDNN attention of `backend` (created once), or why there is none (no libcudnn.so.9, handle
    /// creation failed, BANTAM_CUDNN=off).
    public static func of(_ backend: CUDABackend) -> Result<CUDNNAttention, CUDAUnavailable> {
        registryLock.withLock {
            let id = ObjectIdentifier(backend)
            if let known = registry[id] { return known }
            let result: Result<CUDNNAttention, CUDAUnavailable>
            if ProcessEnvironment.value("BANTAM_CUDNN") == "off" {
                result = .failure(CUDAUnavailable("cuDNN disabled by BANTAM_CUDNN=off"))
            } else {
                switch CUDNNAPI.shared {
                case .failure(let why): result = .failure(why)
                case .success(let api):
                    do { result = .success(try CUDNNAttention(api: api, backend: backend)) } catch {
                        result = .failure(CUDAUnavailable("\(error)"))
                    }
                }
            }
            registry[id] = result
            return result
        }
    }

    /// The plan for a shape, built on first use; throws (and remembers) when cuDNN refuses it.
    func plan(_ key: Key) throws -> CUDNNPlan {
        try lock.withLock {
            if let plan = plans[key] { return plan }
            if let why = refused[key] { throw TensorError.unsupported(backend: "cuda", op: "attention", detail: why) }
            let ioType: SDPAGraphSpec.DataType = key.dtype == .bf16 ? .bfloat16 : .half
            var reasons: [String] = []
            for form in forms {
                let spec = SDPAGraphSpec.forward(batch: key.b, heads: key.h, queries: key.lq, keys: key.lk, headSize: key.d,
                                                 valueSize: key.dv, ioType: ioType, form: form)
                do {
                    let plan = try CUDNNGraphBuilder(api: api).plan(spec, handle: handle)
                    plans[key] = plan
                    return plan
                } catch {
                    reasons.append("\(form): \(error)")
                }
            }
            let why = "cuDNN \(api.versionString) refused [\(key.b), \(key.h), \(key.lq)/\(key.lk), \(key.d)] \(key.dtype): " + reasons.joined(separator: "; ")
            refused[key] = why
            throw TensorError.unsupported(backend: "cuda", op: "attention", detail: why)
        }
    }

    /// Which engine serves a shape (building its plan if needed), for reports.
    public func engine(batch: Int, heads: Int, queries: Int, keys: Int, headSize: Int, dtype: DType) throws -> String {
        try plan(Key(b: batch, h: heads, lq: queries, lk: keys, d: headSize, dv: headSize, dtype: dtype)).engine
    }

    /// Runs out = softmax(q·kᵀ·scale)·v through cuDNN on the backend's compute stream.
    func run(_ q: Tensor, _ k: Tensor, _ v: Tensor, scale: Float, into out: Tensor, backend: CUDABackend) throws {
        let key = Key(b: q.shape[0], h: q.shape[1], lq: q.shape[2], lk: k.shape[2], d: q.shape[3], dv: v.shape[3], dtype: q.dtype)
        let plan = try plan(key)
        var workspace: Tensor? = nil
        if plan.workspaceBytes > 0 {
            workspace = try backend.empty([plan.workspaceBytes], dtype: .u8)
        }
        try backend.context.makeCurrent()
        // The workspace block returns to the allocator after the launch; later work is stream-ordered.
        try withExtendedLifetime(workspace) {
            try plan.execute(api: api, handle: handle, q: try backend.address(q), k: try backend.address(k),
                             v: try backend.address(v), o: try backend.address(out), scale: scale,
                             workspace: try workspace.map { try backend.address($0) })
        }
    }
}
