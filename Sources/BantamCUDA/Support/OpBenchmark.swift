/// One row of `bantam bench ops`: an op on one shape, timed on the GPU with events (median of many runs
/// after a warm-up, on fresh random inputs), next to the device's measured ceiling.
public struct OpBenchmark: Sendable, CustomStringConvertible {
    public enum Bound: String, Sendable { case compute, memory }

    /// Op name and variant, e.g. "linear bf16 (cuBLASLt)".
    public var op: String
    /// The shape in words, e.g. "4608x3072 · 3072x9216".
    public var shape: String
    public var milliseconds: Double
    /// Floating-point operations of one run (0 for memory-bound ops).
    public var flops: Double
    /// Bytes one run must read and write at least.
    public var bytes: Double
    /// What limits it, and the ceiling it is compared with (TFLOP/s for compute, GB/s for memory).
    public var bound: Bound
    public var ceiling: Double
    /// Where the ceiling comes from, e.g. "cuBLASLt BF16 8192³ measured 794 TFLOP/s".
    public var ceilingSource: String

    public init(op: String, shape: String, milliseconds: Double, flops: Double, bytes: Double, bound: Bound,
                ceiling: Double, ceilingSource: String) {
        self.op = op; self.shape = shape; self.milliseconds = milliseconds; self.flops = flops
        self.bytes = bytes; self.bound = bound; self.ceiling = ceiling; self.ceilingSource = ceilingSource
    }

    public var teraflops: Double { flops / (milliseconds * 1e-3) / 1e12 }
    public var gigabytesPerSecond: Double { bytes / (milliseconds * 1e-3) / 1e9 }
    /// Achieved rate over the ceiling.
    public var fractionOfCeiling: Double { (bound == .compute ? teraflops : gigabytesPerSecond) / ceiling }

    public var description: String {
        let rate = bound == .compute ? "\(format(teraflops)) TFLOP/s" : "\(format(gigabytesPerSecond)) GB/s"
        return "\(op) \(shape): \(format(milliseconds)) ms, \(rate), \(format(100 * fractionOfCeiling))% of \(format(ceiling))"
    }

    private func format(_ x: Double) -> String {
        let scaled = (x * 100).rounded() / 100
        return String(scaled)
    }
}
