import BantamCore

/// A kernel function in a loaded module, ready to launch.
public final class CUDAFunction: @unchecked Sendable {
    public let name: String
    public let family: String
    public let handle: CUfunction
    let context: CUDAContext
    /// Synchronize after every launch and report errors by kernel name (BANTAM_CUDA_SYNC=1; slow, for debugging).
    let synchronizeEachLaunch: Bool

    init(name: String, family: String, handle: CUfunction, context: CUDAContext, synchronizeEachLaunch: Bool) {
        self.name = name
        self.family = family
        self.handle = handle
        self.context = context
        self.synchronizeEachLaunch = synchronizeEachLaunch
    }

    /// Queues the kernel on `stream`. Launch errors (bad configuration, too much shared memory) throw here;
    /// errors while it runs surface at the next synchronization, or here with BANTAM_CUDA_SYNC=1.
    public func launch(_ shape: LaunchShape, _ arguments: KernelArguments, on stream: CUDAStream) throws {
        let driver = context.driver
        try context.makeCurrent()
        let status = arguments.withParameterPointers { params in
            driver.cuLaunchKernel(handle, shape.grid.x, shape.grid.y, shape.grid.z,
                                  shape.block.x, shape.block.y, shape.block.z,
                                  shape.sharedMemoryBytes, stream.handle, params, nil)
        }
        try driver.check(status, "launch of \(name) (grid \(shape.grid), block \(shape.block))")
        if synchronizeEachLaunch {
            try driver.check(driver.cuStreamSynchronize(stream.handle), "\(name) (BANTAM_CUDA_SYNC=1)")
        }
    }

    /// Allows up to `bytes` of dynamic shared memory per block (needed above 48 KiB, up to the device's
    /// opt-in maximum).
    public func setMaxDynamicSharedMemory(_ bytes: Int) throws {
        try context.makeCurrent()
        try context.driver.check(context.driver.cuFuncSetAttribute(handle, CUDAFunctionAttribute.maxDynamicSharedSizeBytes.rawValue, Int32(bytes)),
                                 "cuFuncSetAttribute(\(name), max dynamic shared memory \(bytes))")
    }

    /// An attribute of the compiled function (registers, local memory, ...).
    public func attribute(_ attribute: CUDAFunctionAttribute) throws -> Int {
        var value: Int32 = 0
        try context.driver.check(context.driver.cuFuncGetAttribute(&value, attribute.rawValue, handle), "cuFuncGetAttribute(\(name))")
        return Int(value)
    }
}

/// The kernels of one context: compiles each family at first use (NVRTC, for the device's exact
/// architecture), keeps the modules loaded, and caches images in memory and on disk.
///
///     let cast = try kernels.function("bantam_cast_f32_bf16", family: "copy")
///
/// Thread-safe; a family is compiled once even when several threads ask at the same time.
public final class CUDAKernels: @unchecked Sendable {
    public let context: CUDAContext
    public let compiler: KernelCompiler
    public let target: KernelTarget
    public let diskCache: KernelDiskCache
    let synchronizeEachLaunch: Bool
    private let lock = Lock()
    private var modules: [String: CUmodule] = [:]
    private var functions: [String: CUDAFunction] = [:]
    /// Seconds spent compiling and loading, per family (for doctor).
    public private(set) var buildTimes: [String: (seconds: Double, source: String)] = [:]

    public init(context: CUDAContext, nvrtc: NVRTCAPI, capability: ComputeCapability, diskCache: KernelDiskCache,
                synchronizeEachLaunch: Bool = false) throws {
        guard let target = KernelTarget.best(for: capability, supported: nvrtc.supportedArchitectures) else {
            let supported = (nvrtc.supportedArchitectures ?? []).map { "sm_\($0)" }.joined(separator: ", ")
            throw TensorError.backendFailure(backend: "cuda",
                detail: "NVRTC \(nvrtc.version.major).\(nvrtc.version.minor) cannot compile for \(capability.archName) (it supports \(supported)); install an NVRTC that supports this GPU")
        }
        self.context = context
        self.compiler = KernelCompiler(nvrtc: nvrtc)
        self.target = target
        self.diskCache = diskCache
        self.synchronizeEachLaunch = synchronizeEachLaunch
    }

    deinit {
        _ = context.driver.cuCtxSetCurrent(context.handle)
        for module in modules.values { _ = context.driver.cuModuleUnload(module) }
    }

    /// The kernel `name` of `family` (the file `family.cu`).
    public func function(_ name: String, family: String) throws -> CUDAFunction {
        let key = family + "/" + name
        return try lock.withLock {
            if let function = functions[key] { return function }
            let module = try loadedModule(family)
            var handle: CUfunction? = nil
            try context.makeCurrent()
            let status = context.driver.cuModuleGetFunction(&handle, module, name)
            guard status == CUDAStatus.success, let handle else {
                throw TensorError.backendFailure(backend: "cuda", detail: "kernel \(name) is not in \(family).cu (\(context.driver.describe(status)))")
            }
            let function = CUDAFunction(name: name, family: family, handle: handle, context: context,
                                        synchronizeEachLaunch: synchronizeEachLaunch)
            functions[key] = function
            return function
        }
    }

    /// Compiles and loads a family now (doctor uses it to report build times).
    public func preload(family: String) throws { _ = try lock.withLock { try loadedModule(family) } }

    /// The loaded module of `family`: from memory, else the disk cache, else NVRTC. Called with the lock held.
    private func loadedModule(_ family: String) throws -> CUmodule {
        if let module = modules[family] { return module }
        guard let program = KernelSources.program(family: family) else {
            throw TensorError.invalidArgument("no kernel family '\(family)' (known: \(KernelSources.families.joined(separator: ", ")))")
        }
        let start = MonotonicClock.now()
        let hash = KernelSources.hash(program + "\0" + KernelCompiler.baseOptions.joined(separator: " "))
        let fileName = KernelDiskCache.fileName(family: family, programHash: hash, target: target, nvrtcVersion: compiler.versionString)
        var source = "disk cache"
        if let cached = diskCache.load(fileName), let module = try? load(image: cached) {
            modules[family] = module
            buildTimes[family] = (MonotonicClock.now() - start, source)
            return module
        }
        let compiled = try compiler.compile(family: family, target: target)
        let module = try load(image: compiled.image)
        diskCache.store(fileName, compiled.image)
        source = "NVRTC \(compiler.versionString)"
        modules[family] = module
        buildTimes[family] = (MonotonicClock.now() - start, source)
        return module
    }

    private func load(image: [UInt8]) throws -> CUmodule {
        try context.makeCurrent()
        var module: CUmodule? = nil
        let status = image.withUnsafeBytes { context.driver.cuModuleLoadData(&module, $0.baseAddress) }
        try context.driver.check(status, "cuModuleLoadData (\(target))")
        guard let module else { throw TensorError.backendFailure(backend: "cuda", detail: "cuModuleLoadData returned no module") }
        return module
    }
}
