/// Adds up the time (and floating-point work) of each kind of op the demo runs.
final class OpTimer {
    struct Entry {
        var calls = 0
        var seconds = 0.0
        var flops = 0.0
    }

    private(set) var entries: [(op: String, entry: Entry)] = []

    /// Runs `body`, charging its time to `op` (and `flops` operations, when known).
    func run<T>(_ op: String, flops: Double = 0, _ body: () throws -> T) rethrows -> T {
        let (result, seconds) = try Clock.time(body)
        if let i = entries.firstIndex(where: { $0.op == op }) {
            entries[i].entry.calls += 1
            entries[i].entry.seconds += seconds
            entries[i].entry.flops += flops
        } else {
            entries.append((op, Entry(calls: 1, seconds: seconds, flops: flops)))
        }
        return result
    }

    var totalSeconds: Double { entries.reduce(0) { $0 + $1.entry.seconds } }
}
