import ArgumentParser
import BantamCore
import BantamCPU
import BantamCUDA

/// `--device auto|cpu|cuda|cuda:N` and `--vram SIZE`: where a command computes. `auto` takes the first GPU
/// when the CUDA backend opens and otherwise runs on the CPU, saying why in one line.
struct DeviceOptions: ParsableArguments {
    @Option(name: .long, help: "Where to compute: auto (the GPU when CUDA works, else the CPU), cpu, cuda or cuda:N.")
    var device = "auto"
    @Option(name: .long, parsing: .unconditional,
            help: "GPU memory budget: 8G, 512M, -1G (all but 1 GiB), 90% (default: BANTAM_VRAM, else free memory less 512 MiB).")
    var vram: String?
    @Option(name: .long, help: "CPU threads to use (default: every core, or BANTAM_THREADS).")
    var threads: Int?

    enum Choice: Equatable { case auto, cpu, cuda(Int) }

    var choice: Choice {
        get throws { try Self.parse(device) }
    }

    /// "auto", "cpu", "cuda"/"gpu" (device 0) or "cuda:N"; shared with `bantam serve --device`.
    static func parse(_ text: String) throws -> Choice {
        switch text.lowercased() {
        case "auto": return .auto
        case "cpu": return .cpu
        case "cuda", "gpu": return .cuda(0)
        default:
            let lower = text.lowercased()
            if lower.hasPrefix("cuda:"), let n = Int(lower.dropFirst(5)), n >= 0 { return .cuda(n) }
            throw ValidationError("--device must be auto, cpu, cuda or cuda:N (got '\(text)')")
        }
    }

    func validate() throws {
        _ = try choice
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
        if let vram {
            do { _ = try VRAMBudget.parse(vram) } catch { throw ValidationError("--vram: \(error)") }
        }
    }

    var cpuBackend: CPUBackend { threads.map { CPUBackend(threads: $0) } ?? CPUBackend.shared }

    /// The backend to compute on, and a one-line note when `auto` fell back to the CPU.
    func backend() throws -> (backend: any Backend, note: String?) {
        let budget = try vram.map { try VRAMBudget.parse($0) }
        switch try choice {
        case .cpu:
            return (cpuBackend, nil)
        case .cuda(let n):
            switch CUDABackend.open(device: n, budget: budget) {
            case .success(let b): return (b, nil)
            case .failure(let why): throw CLIError("--device cuda:\(n): \(why.reason) (use --device cpu to run on the CPU)")
            }
        case .auto:
            switch CUDABackend.open(device: 0, budget: budget) {
            case .success(let b): return (b, nil)
            case .failure(let why): return (cpuBackend, "no CUDA GPU (\(why.reason)); running on the CPU")
            }
        }
    }
}

/// One line naming a backend: the GPU and its budget, or the CPU and its threads.
enum BackendDescription {
    static func of(_ backend: any Backend) -> String {
        if let cuda = backend as? CUDABackend {
            return "\(cuda.name) \(cuda.device.name), budget \(ByteFormat.bytes(cuda.allocator.budget))"
        }
        if let cpu = backend as? CPUBackend { return "\(cpu.name) (\(cpu.threads) threads)" }
        return backend.name
    }
}
