import BantamCore

/// The CUDA backend: tensors in device memory of one GPU, ops as kernels on one compute stream.
///
/// Open it with `CUDABackend.open(device:budget:)`, which says in one line why it cannot run (no driver,
/// no GPU, no NVRTC). Memory comes from a caching allocator with a hard budget (`--vram`); uploads and
/// downloads go through pinned staging buffers on a copy stream that overlaps the compute stream.
/// Kernels are compiled with NVRTC for the GPU's exact architecture at first use (see Kernels/).
///
/// Ops without a CUDA kernel yet answer false in `supports` and throw `TensorError.unsupported`
/// (`supports` answers false); they never fall back to the CPU quietly.
public final class CUDABackend: Backend, @unchecked Sendable {
    public let name: String
    public let runtime: CUDARuntime
    public let context: CUDAContext
    public let device: CUDADeviceInfo
    public let allocator: CachingAllocator
    public let pinnedPool: PinnedHostPool
    /// Every kernel runs here, in order.
    public let computeStream: CUDAStream
    /// Host-device transfers run here, ordered against the compute stream with events.
    public let copyStream: CUDAStream
    public let kernels: CUDAKernels
    let transfers: Transfers
    private let settingsLock = Lock()
    private var poison = false
    private var mode = TransferMode.staged

    /// Blocks per launch of a grid-stride kernel: a few waves of the whole GPU.
    public var maxBlocks: Int { device.multiprocessors * 16 }

    /// Opens device `ordinal` with its own context, streams and allocator.
    ///
    /// `budget` (or, when nil, the `BANTAM_VRAM` variable, e.g. "8G" or "-1G") limits the device memory
    /// the allocator may hold; without either it is the memory free at start less 512 MiB of headroom for
    /// the driver, modules and libraries.
    public init(runtime: CUDARuntime, device ordinal: Int = 0, budget: VRAMBudget? = nil,
                environment: [String: String] = ProcessEnvironment.all()) throws {
        let nvrtc: NVRTCAPI
        switch runtime.nvrtc {
        case .success(let api): nvrtc = api
        case .failure(let why): throw TensorError.backendFailure(backend: "cuda:\(ordinal)", detail: why.reason)
        }
        let context = try CUDAContext(runtime: runtime, ordinal: ordinal)
        let device = try CUDADeviceInfo(runtime: runtime, ordinal: ordinal)
        let memory = try context.memoryInfo()
        let spec = try budget ?? environment["BANTAM_VRAM"].map { try VRAMBudget.parse($0) }
        let bytes = try spec?.resolve(totalBytes: device.totalMemory) ?? max(0, memory.free - (512 << 20))

        self.name = "cuda:\(ordinal)"
        self.runtime = runtime
        self.context = context
        self.device = device
        self.allocator = CachingAllocator(raw: DriverMemory(context: context), budget: bytes, label: "cuda:\(ordinal)")
        self.pinnedPool = PinnedHostPool(context: context)
        self.computeStream = try CUDAStream(context: context)
        self.copyStream = try CUDAStream(context: context)
        self.kernels = try CUDAKernels(context: context, nvrtc: nvrtc, capability: device.computeCapability,
                                       diskCache: .fromEnvironment(environment),
                                       synchronizeEachLaunch: environment["BANTAM_CUDA_SYNC"] == "1")
        self.transfers = Transfers(context: context, compute: computeStream, copy: copyStream, pool: pinnedPool)
    }

    private static let registryLock = Lock()
    nonisolated(unsafe) private static var registry: [Int: CUDABackend] = [:]

    /// The process's backend for device `ordinal` (created on first use, then shared), or the one-line
    /// reason CUDA cannot run here. A `budget` given here replaces the current one.
    public static func open(device ordinal: Int = 0, budget: VRAMBudget? = nil) -> Result<CUDABackend, CUDAUnavailable> {
        registryLock.withLock {
            if let existing = registry[ordinal] {
                if let budget {
                    do { try existing.setBudget(budget) } catch { return .failure(CUDAUnavailable("\(error)")) }
                }
                return .success(existing)
            }
            switch CUDARuntime.shared {
            case .failure(let why): return .failure(why)
            case .success(let runtime):
                do {
                    let backend = try CUDABackend(runtime: runtime, device: ordinal, budget: budget)
                    registry[ordinal] = backend
                    return .success(backend)
                } catch let error as TensorError {
                    if case .backendFailure(_, let detail) = error { return .failure(CUDAUnavailable(detail)) }
                    return .failure(CUDAUnavailable(error.description))
                } catch {
                    return .failure(CUDAUnavailable("\(error)"))
                }
            }
        }
    }

    /// Changes the memory budget (e.g. `--vram 8G`); cached blocks above it are released at once.
    public func setBudget(_ budget: VRAMBudget) throws {
        allocator.setBudget(try budget.resolve(totalBytes: device.totalMemory))
    }

    /// When set, fresh memory from `empty` is filled with 0xFF bytes (NaN in every float type, -1 in the
    /// integer types) so a kernel that leaves an output element unwritten is caught (doctor --self-test).
    public var poisonNewMemory: Bool {
        get { settingsLock.withLock { poison } }
        set { settingsLock.withLock { poison = newValue } }
    }

    /// Chunking of staged transfers (16 MiB chunks, 2 pinned buffers, up to 16 host threads by default).
    public var staging: StagingConfiguration {
        get { transfers.staging }
        set { transfers.staging = newValue }
    }

    /// How `makeTensor` uploads (staged through pinned buffers by default).
    public var transferMode: TransferMode {
        get { settingsLock.withLock { mode } }
        set { settingsLock.withLock { mode = newValue } }
    }

    public func supports(_ op: OpKind, dtype: DType) -> Bool {
        switch op {
        case .copy, .fill:
            return !dtype.isPacked
        case .attention:
            return dtype == .f32 || dtype == .f16 || dtype == .bf16
        case .matmul, .linear:
            return gemmSupports(op, dtype: dtype)
        case .unary, .binary, .affine, .layerNorm, .rmsNorm, .groupNorm, .softmax, .rope, .reduce, .embedding, .conv2d:
            return dtype.isComputeFloat
        case .upsampleNearest2d:
            return !dtype.isPacked
        default:
            // Kernel helpers: add each op here when its kernel lands.
            return false
        }
    }

    public func synchronize() throws {
        try computeStream.synchronize()
        try copyStream.synchronize()
    }

    // MARK: tensor storage

    /// The device buffer behind a tensor of this backend.
    public func deviceBuffer(_ tensor: Tensor) throws -> DeviceBuffer {
        guard tensor.backend === self, let buffer = tensor.storage as? DeviceBuffer else {
            throw TensorError.backendMismatch(op: name, detail: "tensor \(tensor.shape) lives on \(tensor.backend.name)")
        }
        return buffer
    }

    /// Device address of the tensor's first element (element `offset`).
    public func address(_ tensor: Tensor) throws -> CUdeviceptr {
        try deviceBuffer(tensor).address + UInt64(tensor.byteOffset)
    }
}
