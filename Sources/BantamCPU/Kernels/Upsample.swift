import BantamCore

/// Nearest-neighbour upsampling of x [N, C, H, W] by an integer factor f -> out [N, C, H·f, W·f]:
/// out[n, c, y, x] = x[n, c, y / f, x / f] (PyTorch's `interpolate(mode="nearest", scale_factor=f)`).
///
/// A pure copy of elements of any non-packed dtype: bytes are moved, never converted, so it is bit-exact
/// (NaN payloads included). Each input row is widened once and then copied into its f output rows.
extension CPUBackend {
    public func upsampleNearest2d(_ x: Tensor, factor: Int, into out: Tensor) throws {
        try require(.upsampleNearest2d, x.dtype)
        guard x.isContiguous, out.isContiguous else {
            throw TensorError.invalidArgument("upsampleNearest2d: x and out must be contiguous; call .contiguous() first")
        }
        guard out.count > 0 else { return }
        let (planes, h, w) = (x.shape[0] * x.shape[1], x.shape[2], x.shape[3])
        let width = x.dtype.byteWidth!
        let src = UncheckedSendable(UnsafeRawPointer(try basePointer(x)))
        let dst = UncheckedSendable(try outputPointer(out))
        if factor == 1 {
            dst.value.copyMemory(from: src.value, byteCount: x.count * width)
            return
        }
        let outW = w * factor
        let rowBytes = outW * width
        // One task per input row (plane, y): out rows y·f ..< y·f + f of that plane.
        Parallel.forEach(planes * h, threads: threads, grain: max(1, 16384 / max(rowBytes * factor, 1))) { rows in
            for row in rows {
                let input = src.value + row * w * width
                let first = dst.value + row * factor * rowBytes   // (plane·H + y)·f rows of outW
                switch width {
                case 1: Self.widen(input, into: first, count: w, factor: factor, as: UInt8.self)
                case 2: Self.widen(input, into: first, count: w, factor: factor, as: UInt16.self)
                case 4: Self.widen(input, into: first, count: w, factor: factor, as: UInt32.self)
                default: Self.widen(input, into: first, count: w, factor: factor, as: UInt64.self)
                }
                for copy in 1..<factor {
                    (first + copy * rowBytes).copyMemory(from: first, byteCount: rowBytes)
                }
            }
        }
    }

    /// dst[i·f + r] = src[i] for i < count, r < f, as raw elements of type T.
    @inline(__always)
    private static func widen<T: FixedWidthInteger>(_ src: UnsafeRawPointer, into dst: UnsafeMutableRawPointer,
                                                    count: Int, factor: Int, as: T.Type) {
        let size = MemoryLayout<T>.size
        for i in 0..<count {
            let value = src.loadUnaligned(fromByteOffset: i * size, as: T.self)
            for r in 0..<factor {
                dst.storeBytes(of: value, toByteOffset: (i * factor + r) * size, as: T.self)
            }
        }
    }
}
