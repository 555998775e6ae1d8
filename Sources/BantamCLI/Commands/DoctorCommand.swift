import ArgumentParser
import BantamCore
import BantamCUDA

/// `bantam doctor`: what GPU and CUDA libraries this machine has, which precision paths Bantam will use,
/// and (`--self-test`) whether every op of the CUDA backend matches the CPU backend on fresh random data.
struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check the GPU, the CUDA libraries and the CUDA backend's kernels.",
        discussion: """
            Without an NVIDIA driver or GPU it says so in one line and exits 0 (Bantam then runs on the CPU). \
            Library search: BANTAM_CUDA_LIBS (colon-separated folders), the loader's default path, CUDA \
            toolkits under /usr/local, pip wheels (nvidia-*), /usr/lib/x86_64-linux-gnu.
            """
    )

    @Flag(name: .long, help: "Run every CUDA op against the CPU backend on random data (one line per op).")
    var selfTest = false
    @Flag(name: .long, help: "Measure device copy, cast and host-device transfer rates.")
    var bandwidth = false
    @Option(name: .long, help: "GPU to use (0-based).")
    var device = 0
    @Option(name: .long, parsing: .unconditional, help: "Device memory budget: 8G, 512M, -1G (all but 1 GiB), 90% (default: BANTAM_VRAM, else free memory less 512 MiB).")
    var vram: String?
    @Option(name: .long, help: "Seed of the self-test's random inputs (default: a fresh one, printed).")
    var seed: UInt64?
    @Option(name: .long, help: "Working-set size per buffer for --bandwidth.")
    var bandwidthSize = "1G"

    func validate() throws {
        if let vram { _ = try parseBudget(vram) }
        guard device >= 0 else { throw ValidationError("--device must be 0 or more") }
        guard case .bytes = try parseBudget(bandwidthSize) else { throw ValidationError("--bandwidth-size must be a plain size such as 1G") }
    }

    private func parseBudget(_ text: String) throws -> VRAMBudget {
        do { return try VRAMBudget.parse(text) } catch { throw ValidationError("\(error)") }
    }

    func run() throws {
        let out = Console.output
        let runtime: CUDARuntime
        switch CUDARuntime.shared {
        case .failure(let why):
            out.line("no CUDA GPU: \(why.reason); Bantam runs on the CPU")
            return
        case .success(let r): runtime = r
        }
        for line in DoctorReport.libraryLines(runtime) { out.line(line) }
        let budget = try vram.map(parseBudget)
        let backend: CUDABackend
        switch CUDABackend.open(device: device, budget: budget) {
        case .failure(let why):
            // The driver works but the backend cannot (no NVRTC, a device that does not start).
            if let info = try? CUDADeviceInfo(runtime: runtime, ordinal: device) {
                for line in DoctorReport.deviceLines(info) { out.line(line) }
            }
            out.line("CUDA backend unavailable: \(why.reason)")
            if selfTest || bandwidth { throw CLIError("cannot run the CUDA checks: \(why.reason)") }
            return
        case .success(let b): backend = b
        }
        for line in DoctorReport.deviceLines(backend.device) { out.line(line) }
        for line in try DoctorReport.backendLines(backend) { out.line(line) }

        var failed = 0
        if selfTest {
            let seed = self.seed ?? UInt64.random(in: 0...UInt64.max)
            out.line("")
            out.line("self-test: every CUDA op against the CPU backend, fresh random inputs (--seed \(seed)), outputs poisoned with NaN")
            backend.poisonNewMemory = true
            let start = MonotonicClock.now()
            let results = SelfTest.run(SelfTestCases.all, device: backend, seed: seed) { out.line(DoctorReport.line($0)) }
            backend.poisonNewMemory = false
            failed = results.filter { $0.status == .fail }.count
            let passed = results.filter { $0.status == .pass }.count
            let skipped = results.filter { $0.status == .skip }.count
            out.line("self-test: \(passed) passed, \(failed) failed, \(skipped) skipped in \(ByteFormat.fixed(MonotonicClock.now() - start, 1)) s")
            let stats = backend.allocator.statistics
            out.line("allocator: peak \(ByteFormat.bytes(stats.peakAllocatedBytes)) allocated, \(ByteFormat.bytes(stats.peakReservedBytes)) reserved; \(stats.driverAllocations) driver allocations, \(stats.reuses) reuses")
        }
        if bandwidth {
            guard case .bytes(let bytes) = try parseBudget(bandwidthSize) else { return }
            out.line("")
            out.line("bandwidth (\(ByteFormat.bytes(bytes)) buffers; median of 20 event-timed runs; bytes read + written):")
            for row in try Bandwidth.measure(backend, bytes: bytes) {
                out.line("  " + Format.padded(row.name, 58) + Format.leftPadded(ByteFormat.fixed(row.gigabytesPerSecond, 1), 8)
                         + " GB/s  " + Format.leftPadded(ByteFormat.fixed(row.seconds * 1000, 3), 9) + " ms")
            }
        }
        if failed > 0 { throw CLIError("self-test: \(failed) op(s) differ from the CPU backend") }
    }
}

/// The text of `bantam doctor`.
enum DoctorReport {
    static func libraryLines(_ runtime: CUDARuntime) -> [String] {
        let lib = runtime.driver.library
        var lines: [String] = []
        let release = runtime.driverRelease.map { "NVIDIA \($0), " } ?? ""
        lines.append(row("driver", "\(release)CUDA \(runtime.driverAPIVersionString) API: \(describe(lib))"))
        switch runtime.nvrtc {
        case .success(let nvrtc):
            let v = nvrtc.version
            lines.append(row("NVRTC", "\(v.major).\(v.minor): \(describe(nvrtc.library))"))
        case .failure(let why): lines.append(row("NVRTC", "missing (kernels cannot be compiled): \(why.reason)"))
        }
        switch runtime.cublasLt {
        case .success(let cublas): lines.append(row("cuBLASLt", "\(runtime.cublasLtVersion ?? "?"): \(describe(cublas))"))
        case .failure(let why): lines.append(row("cuBLASLt", "missing (GEMMs will need it): \(why.reason)"))
        }
        lines.append(row("devices", "\(runtime.deviceCount)"))
        return lines
    }

    static func deviceLines(_ info: CUDADeviceInfo) -> [String] {
        let cc = info.computeCapability
        let precision = info.precision
        var lines = [
            row("GPU \(info.ordinal)", "\(info.name): compute capability \(cc) (\(cc.archName)), \(info.multiprocessors) SMs, \(ByteFormat.bytes(info.l2CacheBytes)) L2"),
            row("shared mem", "\(ByteFormat.bytes(info.sharedMemoryPerBlock)) per block, \(ByteFormat.bytes(info.sharedMemoryPerBlockOptin)) opt-in, \(ByteFormat.bytes(info.sharedMemoryPerMultiprocessor)) per SM"),
            row("precision", "\(precision.bf16Path); \(precision.fp8Path)"),
        ]
        if info.theoreticalBandwidth > 0 {
            lines.append(row("DRAM", "\(ByteFormat.fixed(info.theoreticalBandwidth / 1e9, 0)) GB/s datasheet (\(info.memoryBusWidthBits)-bit bus)"))
        }
        return lines
    }

    static func backendLines(_ backend: CUDABackend) throws -> [String] {
        let memory = try backend.context.memoryInfo()
        var lines = [row("memory", "\(ByteFormat.bytes(memory.total)) total, \(ByteFormat.bytes(memory.free)) free; budget \(ByteFormat.bytes(backend.allocator.budget)) (--vram)")]
        for family in KernelSources.families { try backend.kernels.preload(family: family) }
        let builds = KernelSources.families.compactMap { family in
            backend.kernels.buildTimes[family].map { "\(family) \(ByteFormat.fixed($0.seconds * 1000, 0)) ms from \($0.source)" }
        }
        lines.append(row("kernels", "\(backend.kernels.target) (\(builds.joined(separator: ", "))); cache \(backend.kernels.diskCache.directory ?? "off")"))
        return lines
    }

    static func line(_ r: SelfTestResult) -> String {
        let error = r.maxError.map { "max err " + ($0 == 0 ? "0" : String($0)) } ?? ""
        let time = r.seconds.map { ByteFormat.fixed($0 * 1000, 3) + " ms" } ?? ""
        var text = Format.padded(r.status.rawValue, 5) + Format.padded(r.name, 56) + Format.padded(error, 24) + Format.leftPadded(time, 11)
        if !r.detail.isEmpty { text += "  " + r.detail }
        return text
    }

    static func describe(_ library: DynamicLibrary) -> String {
        library.resolvedPath == library.loadedPath ? library.loadedPath : "\(library.loadedPath) (\(library.resolvedPath))"
    }

    static func row(_ label: String, _ text: String) -> String { Format.padded(label, 12) + text }
}
