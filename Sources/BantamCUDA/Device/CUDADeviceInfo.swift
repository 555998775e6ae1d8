/// A compute capability, e.g. 9.0 for the H100 (sm_90).
public struct ComputeCapability: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let major: Int
    public let minor: Int

    public init(major: Int, minor: Int) {
        self.major = major
        self.minor = minor
    }

    /// 90 for 9.0: the number in "sm_90".
    public var number: Int { major * 10 + minor }
    /// "sm_90".
    public var archName: String { "sm_\(number)" }
    public var description: String { "\(major).\(minor)" }

    public static func < (a: Self, b: Self) -> Bool { a.number < b.number }
}

/// Which precisions run on tensor cores, derived from the compute capability.
public struct PrecisionPaths: Sendable, Equatable {
    /// BF16 (and TF32) tensor cores: Ampere, sm_80 and later.
    public let bf16TensorCores: Bool
    /// FP8 (E4M3/E5M2) tensor cores: Ada sm_89, Hopper sm_90 and later.
    public let fp8TensorCores: Bool

    public init(_ capability: ComputeCapability) {
        bf16TensorCores = capability.number >= 80
        fp8TensorCores = capability.number >= 89
    }

    /// How FP8 weights are used: on FP8 tensor cores, or up-cast to BF16 (or F16 before sm_80) first.
    public var fp8Path: String {
        if fp8TensorCores { return "FP8 tensor cores (E4M3/E5M2 GEMMs)" }
        if bf16TensorCores { return "FP8 weights up-cast to BF16" }
        return "FP8 weights up-cast to F16 (no BF16 tensor cores before sm_80)"
    }

    /// How BF16 work runs.
    public var bf16Path: String {
        bf16TensorCores ? "BF16 tensor cores" : "no BF16 tensor cores (sm_80+): BF16 work runs through F16/F32"
    }
}

/// What the driver says about one device.
public struct CUDADeviceInfo: Sendable {
    public let ordinal: Int
    public let name: String
    public let computeCapability: ComputeCapability
    public let multiprocessors: Int
    public let totalMemory: Int
    public let l2CacheBytes: Int
    /// Shared memory a block gets by default (48 KiB).
    public let sharedMemoryPerBlock: Int
    /// Shared memory a block may opt in to with cuFuncSetAttribute (227 KiB on the H100).
    public let sharedMemoryPerBlockOptin: Int
    public let sharedMemoryPerMultiprocessor: Int
    public let maxThreadsPerBlock: Int
    public let maxThreadsPerMultiprocessor: Int
    /// Peak memory clock in kHz and bus width in bits (0 where the driver does not report them).
    public let memoryClockKHz: Int
    public let memoryBusWidthBits: Int
    public let asyncEngines: Int
    public let integrated: Bool

    public var precision: PrecisionPaths { PrecisionPaths(computeCapability) }

    /// Datasheet DRAM bandwidth (2 transfers per clock x bus width), bytes per second; 0 if unknown.
    public var theoreticalBandwidth: Double { 2 * Double(memoryClockKHz) * 1000 * Double(memoryBusWidthBits) / 8 }

    /// Reads the attributes of device `ordinal`.
    public init(runtime: CUDARuntime, ordinal: Int) throws {
        let driver = runtime.driver
        var device: CUdevice = 0
        try driver.check(driver.cuDeviceGet(&device, Int32(ordinal)), "cuDeviceGet(\(ordinal))")
        var nameBytes = [CChar](repeating: 0, count: 256)
        try driver.check(driver.cuDeviceGetName(&nameBytes, Int32(nameBytes.count - 1), device), "cuDeviceGetName")
        var total = 0
        try driver.check(driver.cuDeviceTotalMem(&total, device), "cuDeviceTotalMem")
        func attribute(_ a: CUDADeviceAttribute) throws -> Int {
            var value: Int32 = 0
            try driver.check(driver.cuDeviceGetAttribute(&value, a.rawValue, device), "cuDeviceGetAttribute(\(a))")
            return Int(value)
        }
        self.ordinal = ordinal
        self.name = nameBytes.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        self.computeCapability = ComputeCapability(major: try attribute(.computeCapabilityMajor),
                                                   minor: try attribute(.computeCapabilityMinor))
        self.multiprocessors = try attribute(.multiprocessorCount)
        self.totalMemory = total
        self.l2CacheBytes = try attribute(.l2CacheSize)
        self.sharedMemoryPerBlock = try attribute(.maxSharedMemoryPerBlock)
        self.sharedMemoryPerBlockOptin = try attribute(.maxSharedMemoryPerBlockOptin)
        self.sharedMemoryPerMultiprocessor = try attribute(.maxSharedMemoryPerMultiprocessor)
        self.maxThreadsPerBlock = try attribute(.maxThreadsPerBlock)
        self.maxThreadsPerMultiprocessor = try attribute(.maxThreadsPerMultiprocessor)
        // Newer drivers may report 0 or fail for the clock attributes; they only feed a datasheet figure.
        var clock: Int32 = 0, width: Int32 = 0
        _ = driver.cuDeviceGetAttribute(&clock, CUDADeviceAttribute.memoryClockRate.rawValue, device)
        _ = driver.cuDeviceGetAttribute(&width, CUDADeviceAttribute.globalMemoryBusWidth.rawValue, device)
        self.memoryClockKHz = Int(clock)
        self.memoryBusWidthBits = Int(width)
        self.asyncEngines = try attribute(.asyncEngineCount)
        self.integrated = try attribute(.integrated) != 0
    }
}
