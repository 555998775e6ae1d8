import BantamCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Softmax over the last axis: y = e^(x − max) / Σ e^(x − max), in f32, rounded once.
///
/// Edge cases follow torch: a row that is all −inf gives NaN everywhere (−inf − (−inf) is NaN); a row
/// holding +inf or NaN gives NaN everywhere; −inf entries next to finite ones give exactly 0. The sum is
/// pairwise, and each element is divided by it (one rounding, rather than multiplying by a reciprocal).
extension CPUBackend {
    public func softmax(_ x: Tensor, into out: Tensor) throws {
        try require(.softmax, x.dtype)
        guard x.rank >= 1 else { throw TensorError.shapeMismatch(op: "softmax", detail: "input is a scalar") }
        try requireOutput("softmax", out, shape: x.shape)
        try requireContiguousOutput("softmax", out)
        let x = try x.contiguous()
        guard x.count > 0 else { return }
        let d = x.shape[x.rank - 1]
        let rows = x.count / d
        let src = UncheckedSendable(UnsafeRawPointer(try basePointer(x)))
        let dst = UncheckedSendable(try outputPointer(out))
        Parallel.forEach(rows, threads: threads, grain: max(1, 8192 / d)) { range in
            let scratch = ScratchRows(rows: 1, length: d)
            defer { scratch.free() }
            let row = scratch.row(0)
            for r in range {
                RowIO.read(src.value, x.dtype, start: r * d, count: d, stride: 1, into: row)
                // A NaN anywhere makes the sum NaN below, so the max need not look for it.
                let m = RowMath.max(row, d)
                for i in 0..<d { row[i] = expf(row[i] - m) }
                let total = RowMath.sum(row, d)
                for i in 0..<d { row[i] = row[i] / total }
                RowIO.write(dst.value, out.dtype, start: r * d, count: d, stride: 1, from: row)
            }
        }
    }
}
