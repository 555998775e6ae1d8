import ArgumentParser
import BantamCPU

/// How many CPU threads the work may use.
struct ThreadOptions: ParsableArguments {
    @Option(name: .long, help: "CPU threads to use (default: every core, or BANTAM_THREADS).")
    var threads: Int?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }

    /// The CPU backend with these threads (the shared one when not set).
    var backend: CPUBackend { threads.map { CPUBackend(threads: $0) } ?? CPUBackend.shared }
}
