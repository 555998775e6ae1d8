import BantamCore

/// One cuDNN backend descriptor, destroyed with its owner.
final class CUDNNDescriptor: @unchecked Sendable {
    let api: CUDNNAPI
    let raw: CUDNNAPI.Descriptor

    init(_ api: CUDNNAPI, type: Int32, what: String) throws {
        self.api = api
        var raw: UnsafeMutableRawPointer? = nil
        try api.check(api.createDescriptor(type, &raw), "create \(what) descriptor")
        guard let raw else { throw TensorError.backendFailure(backend: "cuda", detail: "cuDNN created no \(what) descriptor") }
        self.raw = raw
    }

    deinit { _ = api.destroyDescriptor(raw) }

    func set(_ name: Int32, type: Int32, _ what: String, int64s values: [Int64]) throws {
        try values.withUnsafeBytes { try set(name, type: type, count: values.count, $0.baseAddress, what) }
    }
    func set(_ name: Int32, type: Int32, _ what: String, int32 value: Int32) throws {
        try withUnsafeBytes(of: value) { try set(name, type: type, count: 1, $0.baseAddress, what) }
    }
    func set(_ name: Int32, _ what: String, bool value: Bool) throws {
        try withUnsafeBytes(of: value) { try set(name, type: CUDNN.typeBoolean, count: 1, $0.baseAddress, what) }
    }
    func set(_ name: Int32, _ what: String, descriptors: [CUDNNDescriptor]) throws {
        let raws: [UnsafeMutableRawPointer?] = descriptors.map { $0.raw }
        try raws.withUnsafeBytes { try set(name, type: CUDNN.typeBackendDescriptor, count: raws.count, $0.baseAddress, what) }
    }
    func set(_ name: Int32, _ what: String, handle: OpaquePointer) throws {
        try withUnsafeBytes(of: handle) { try set(name, type: CUDNN.typeHandle, count: 1, $0.baseAddress, what) }
    }
    func set(_ name: Int32, type: Int32, count: Int, _ pointer: UnsafeRawPointer?, _ what: String) throws {
        try api.check(api.setAttribute(raw, name, type, Int64(count), pointer), "set \(what)")
    }
    func finalize(_ what: String) throws { try api.check(api.finalize(raw), "finalize \(what)") }
}

/// Turns an `SDPAGraphSpec` into a finalized cuDNN operation graph and an execution plan.
///
/// Steps (cuDNN backend API): a tensor descriptor per tensor; an operation descriptor per node (with its
/// matmul / pointwise / reduction descriptor, f32 compute); the operation graph on the handle; engine
/// heuristics (mode A) give engine configurations in order of preference; the first whose execution plan
/// finalizes is kept, with its workspace size.
struct CUDNNGraphBuilder {
    let api: CUDNNAPI

    /// Finalized tensor and operation descriptors (no handle needed).
    func operations(_ spec: SDPAGraphSpec) throws -> (tensors: [Int64: CUDNNDescriptor], operations: [CUDNNDescriptor]) {
        var tensors: [Int64: CUDNNDescriptor] = [:]
        for t in spec.tensors {
            let what = "tensor \(t.uid)"
            let d = try CUDNNDescriptor(api, type: CUDNN.tensorDescriptor, what: what)
            try d.set(CUDNN.tensorDataType, type: CUDNN.typeDataType, "\(what) data type", int32: t.dataType.rawValue)
            try d.set(CUDNN.tensorDimensions, type: CUDNN.typeInt64, "\(what) dims", int64s: t.dims)
            try d.set(CUDNN.tensorStrides, type: CUDNN.typeInt64, "\(what) strides", int64s: t.strides)
            try d.set(CUDNN.tensorUniqueID, type: CUDNN.typeInt64, "\(what) id", int64s: [t.uid])
            try d.set(CUDNN.tensorByteAlignment, type: CUDNN.typeInt64, "\(what) alignment", int64s: [16])
            if t.isVirtual { try d.set(CUDNN.tensorIsVirtual, "\(what) virtual", bool: true) }
            if t.isByValue { try d.set(CUDNN.tensorIsByValue, "\(what) by value", bool: true) }
            try d.finalize(what)
            tensors[t.uid] = d
        }
        func tensor(_ uid: Int64) throws -> CUDNNDescriptor {
            guard let d = tensors[uid] else { throw TensorError.invalidArgument("SDPA graph: tensor \(uid) is not declared") }
            return d
        }
        let float = SDPAGraphSpec.DataType.float.rawValue
        var operations: [CUDNNDescriptor] = []
        for (index, op) in spec.operations.enumerated() {
            let what = "operation \(index)"
            switch op {
            case .matmul(let a, let b, let c):
                let desc = try CUDNNDescriptor(api, type: CUDNN.matmulDescriptor, what: "matmul")
                try desc.set(CUDNN.matmulComputeType, type: CUDNN.typeDataType, "matmul compute type", int32: float)
                try desc.finalize("matmul")
                let node = try CUDNNDescriptor(api, type: CUDNN.matmulOperationDescriptor, what: what)
                try node.set(CUDNN.matmulOpA, "\(what) A", descriptors: [try tensor(a)])
                try node.set(CUDNN.matmulOpB, "\(what) B", descriptors: [try tensor(b)])
                try node.set(CUDNN.matmulOpC, "\(what) C", descriptors: [try tensor(c)])
                try node.set(CUDNN.matmulOpDescriptor, "\(what) matmul", descriptors: [desc])
                try node.finalize("\(what) (matmul)")
                operations.append(node)
            case .pointwise(let mode, let x, let b, let y):
                let desc = try CUDNNDescriptor(api, type: CUDNN.pointwiseDescriptor, what: "pointwise")
                try desc.set(CUDNN.pointwiseMode, type: CUDNN.typePointwiseMode, "pointwise mode", int32: mode.rawValue)
                try desc.set(CUDNN.pointwiseMathPrecision, type: CUDNN.typeDataType, "pointwise precision", int32: float)
                try desc.finalize("pointwise \(mode)")
                let node = try CUDNNDescriptor(api, type: CUDNN.pointwiseOperationDescriptor, what: what)
                try node.set(CUDNN.pointwiseOpDescriptor, "\(what) pointwise", descriptors: [desc])
                try node.set(CUDNN.pointwiseOpX, "\(what) X", descriptors: [try tensor(x)])
                if let b { try node.set(CUDNN.pointwiseOpB, "\(what) B", descriptors: [try tensor(b)]) }
                try node.set(CUDNN.pointwiseOpY, "\(what) Y", descriptors: [try tensor(y)])
                try node.finalize("\(what) (pointwise \(mode))")
                operations.append(node)
            case .reduction(let mode, let x, let y):
                let desc = try CUDNNDescriptor(api, type: CUDNN.reductionDescriptor, what: "reduction")
                try desc.set(CUDNN.reductionOperator, type: CUDNN.typeReductionOperator, "reduction operator", int32: mode.rawValue)
                try desc.set(CUDNN.reductionComputeType, type: CUDNN.typeDataType, "reduction compute type", int32: float)
                try desc.finalize("reduction \(mode)")
                let node = try CUDNNDescriptor(api, type: CUDNN.reductionOperationDescriptor, what: what)
                try node.set(CUDNN.reductionOpDescriptor, "\(what) reduction", descriptors: [desc])
                try node.set(CUDNN.reductionOpX, "\(what) X", descriptors: [try tensor(x)])
                try node.set(CUDNN.reductionOpY, "\(what) Y", descriptors: [try tensor(y)])
                try node.finalize("\(what) (reduction \(mode))")
                operations.append(node)
            case .sdpa(let q, let k, let v, let o, let scale):
                let node = try CUDNNDescriptor(api, type: CUDNN.sdpaForwardOperationDescriptor, what: what)
                try node.set(CUDNN.sdpaQ, "\(what) Q", descriptors: [try tensor(q)])
                try node.set(CUDNN.sdpaK, "\(what) K", descriptors: [try tensor(k)])
                try node.set(CUDNN.sdpaV, "\(what) V", descriptors: [try tensor(v)])
                try node.set(CUDNN.sdpaO, "\(what) O", descriptors: [try tensor(o)])
                try node.set(CUDNN.sdpaScale, "\(what) scale", descriptors: [try tensor(scale)])
                try node.finalize("\(what) (SDPA forward)")
                operations.append(node)
            }
        }
        return (tensors, operations)
    }

    /// The operation graph on `handle`, and the first engine configuration (heuristics mode A, then the
    /// fallback list) whose execution plan finalizes.
    func plan(_ spec: SDPAGraphSpec, handle: OpaquePointer) throws -> CUDNNPlan {
        let (tensors, operations) = try self.operations(spec)
        let graph = try CUDNNDescriptor(api, type: CUDNN.operationGraphDescriptor, what: "operation graph")
        try graph.set(CUDNN.graphHandle, "graph handle", handle: handle)
        try graph.set(CUDNN.graphOperations, "graph operations", descriptors: operations)
        try graph.finalize("operation graph (\(spec.form))")

        var refusals: [String] = []
        for mode in [CUDNN.heuristicsModeA, CUDNN.heuristicsModeFallback] {
            let heuristics = try CUDNNDescriptor(api, type: CUDNN.engineHeuristicsDescriptor, what: "engine heuristics")
            try heuristics.set(CUDNN.heuristicsOperationGraph, "heuristics graph", descriptors: [graph])
            try heuristics.set(CUDNN.heuristicsMode, type: CUDNN.typeHeuristicsMode, "heuristics mode", int32: mode)
            do { try heuristics.finalize("engine heuristics") } catch { refusals.append("\(error)"); continue }
            var available: Int64 = 0
            try api.check(api.getAttribute(heuristics.raw, CUDNN.heuristicsResults, CUDNN.typeBackendDescriptor, 0, &available, nil),
                          "count heuristics results")
            guard available > 0 else { refusals.append("no engine for mode \(mode)"); continue }
            let configs = try (0..<min(Int(available), 16)).map { _ in
                try CUDNNDescriptor(api, type: CUDNN.engineConfigDescriptor, what: "engine config")
            }
            var raws: [UnsafeMutableRawPointer?] = configs.map { $0.raw }
            var returned: Int64 = 0
            try raws.withUnsafeMutableBytes { buffer in
                try api.check(api.getAttribute(heuristics.raw, CUDNN.heuristicsResults, CUDNN.typeBackendDescriptor,
                                               Int64(configs.count), &returned, buffer.baseAddress), "get heuristics results")
            }
            for (index, config) in configs.prefix(Int(returned)).enumerated() {
                do {
                    let plan = try CUDNNDescriptor(api, type: CUDNN.executionPlanDescriptor, what: "execution plan")
                    try plan.set(CUDNN.planHandle, "plan handle", handle: handle)
                    try plan.set(CUDNN.planEngineConfig, "plan engine config", descriptors: [config])
                    try plan.finalize("execution plan")
                    var workspace: Int64 = 0
                    var count: Int64 = 0
                    try api.check(api.getAttribute(plan.raw, CUDNN.planWorkspaceSize, CUDNN.typeInt64, 1, &count, &workspace),
                                  "get workspace size")
                    return CUDNNPlan(spec: spec, plan: plan, keep: [graph] + operations + Array(tensors.values),
                                     workspaceBytes: Int(workspace),
                                     engine: "\(spec.form), heuristics mode \(mode == CUDNN.heuristicsModeA ? "A" : "fallback") config \(index)")
                } catch {
                    refusals.append("\(error)")
                }
            }
        }
        throw TensorError.unsupported(backend: "cuda", op: "attention",
                                      detail: "cuDNN \(api.versionString) has no engine for this SDPA graph (\(spec.form)): \(refusals.first ?? "no configurations")")
    }
}

/// A finalized execution plan and what it needs to run.
final class CUDNNPlan: @unchecked Sendable {
    let spec: SDPAGraphSpec
    let plan: CUDNNDescriptor
    /// Descriptors the plan was built from, kept alive with it.
    let keep: [CUDNNDescriptor]
    let workspaceBytes: Int
    /// Which form and engine configuration was chosen (for reports).
    let engine: String

    init(spec: SDPAGraphSpec, plan: CUDNNDescriptor, keep: [CUDNNDescriptor], workspaceBytes: Int, engine: String) {
        self.spec = spec
        self.plan = plan
        self.keep = keep
        self.workspaceBytes = workspaceBytes
        self.engine = engine
    }

    /// Runs the plan on the handle's stream: q, k, v, o device addresses, the scale by value.
    func execute(api: CUDNNAPI, handle: OpaquePointer, q: CUdeviceptr, k: CUdeviceptr, v: CUdeviceptr,
                 o: CUdeviceptr, scale: Float, workspace: CUdeviceptr?) throws {
        var scaleValue = scale
        try withUnsafeMutablePointer(to: &scaleValue) { scalePointer in
            let ids: [Int64] = [SDPAGraphSpec.q, SDPAGraphSpec.k, SDPAGraphSpec.v, SDPAGraphSpec.o, SDPAGraphSpec.scale]
            let pointers: [UnsafeMutableRawPointer?] = [UnsafeMutableRawPointer(bitPattern: UInt(q)),
                                                        UnsafeMutableRawPointer(bitPattern: UInt(k)),
                                                        UnsafeMutableRawPointer(bitPattern: UInt(v)),
                                                        UnsafeMutableRawPointer(bitPattern: UInt(o)),
                                                        UnsafeMutableRawPointer(scalePointer)]
            let pack = try CUDNNDescriptor(api, type: CUDNN.variantPackDescriptor, what: "variant pack")
            try pack.set(CUDNN.variantPackUniqueIDs, type: CUDNN.typeInt64, "variant pack ids", int64s: ids)
            try pointers.withUnsafeBytes {
                try pack.set(CUDNN.variantPackDataPointers, type: CUDNN.typeVoidPointer, count: pointers.count, $0.baseAddress, "variant pack pointers")
            }
            let workspacePointer: UnsafeMutableRawPointer? = workspace.flatMap { UnsafeMutableRawPointer(bitPattern: UInt($0)) }
            try withUnsafeBytes(of: workspacePointer) {
                try pack.set(CUDNN.variantPackWorkspace, type: CUDNN.typeVoidPointer, count: 1, $0.baseAddress, "variant pack workspace")
            }
            try pack.finalize("variant pack")
            try api.check(api.execute(handle, plan.raw, pack.raw), "execute SDPA plan (\(engine))")
        }
    }
}

extension SDPAGraphSpec {
    /// Creates and finalizes every tensor and operation descriptor of this graph with `api` and returns
    /// how many operations were built. Needs no GPU (the operation graph, which needs a handle, is not
    /// built): a public entry point for tests of the descriptor code on machines with cuDNN but no GPU.
    public func finalizeDescriptors(with api: CUDNNAPI) throws -> Int {
        try CUDNNGraphBuilder(api: api).operations(self).operations.count
    }
}
