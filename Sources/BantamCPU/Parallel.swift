import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Splitting loops across cores.
enum Parallel {
    /// `BANTAM_THREADS` if set, else the number of online processors.
    static var defaultThreadCount: Int {
        if let value = getenv("BANTAM_THREADS"), let n = Int(String(cString: value)), n > 0 { return n }
        return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }

    /// Runs `body` over consecutive chunks covering 0..<count, in parallel when the work is large enough.
    /// `grain` is the smallest chunk worth a thread. Chunks never overlap.
    static func forEach(_ count: Int, threads: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let maxChunks = max(1, min(threads * 4, count / max(grain, 1)))
        if threads <= 1 || maxChunks <= 1 {
            body(0..<count)
            return
        }
        let chunk = (count + maxChunks - 1) / maxChunks
        let chunks = (count + chunk - 1) / chunk
        withoutActuallyEscaping(body) { body in
            let box = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: chunks) { i in
                let start = i * chunk
                box.value(start..<min(count, start + chunk))
            }
        }
    }
}

/// Wraps a value the compiler cannot prove Sendable, for kernels whose chunks write disjoint memory.
struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
