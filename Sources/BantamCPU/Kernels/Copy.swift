import BantamCore

/// copy (with casts) and fill.
extension CPUBackend {
    public func copy(_ source: Tensor, into destination: Tensor) throws {
        guard source.shape == destination.shape else {
            throw TensorError.shapeMismatch(op: "copy", detail: "\(source.shape) into \(destination.shape)")
        }
        let src = try basePointer(source)
        let dst = try outputPointer(destination)
        if source.count == 0 { return }
        if source.dtype.isPacked || destination.dtype.isPacked {
            try copyPacked(source, src, into: destination, dst)
            return
        }
        // Rows are cut into tiles so one long contiguous row still spreads across threads with small scratch.
        let tiles = ElementwiseTiles(RowLayout(shape: source.shape, strides: [source.strides, destination.strides]))
        let sameType = source.dtype == destination.dtype
        let width = source.dtype.byteWidth!, outWidth = destination.dtype.byteWidth!
        // Same dtype: move bytes (bit-exact, NaN payloads included). Integer to integer: through Int64.
        // Otherwise: through f32 (exact for every float type but f64).
        let integers = !source.dtype.isFloatingPoint && !destination.dtype.isFloatingPoint
        // Casts to f64, and from f64 to integers, go through Double so nothing is lost (torch's i64 -> f64 is
        // exact); f64 to a narrower float goes through f32 like torch's double -> float -> bf16.
        let wide = destination.dtype == .f64 || (source.dtype == .f64 && !destination.dtype.isFloatingPoint)
        let s = UncheckedSendable(src), d = UncheckedSendable(dst)
        let ss = tiles.layout.rowStride(0), ds = tiles.layout.rowStride(1)
        Parallel.forEach(tiles.count, threads: threads, grain: tiles.grain) { range in
            let scratch = ScratchRows(rows: 1, length: tiles.tileLength)
            defer { scratch.free() }
            for index in range {
                let t = tiles.tile(index)
                let si = tiles.start(row: t.row, first: t.first, operand: 0)
                let di = tiles.start(row: t.row, first: t.first, operand: 1)
                if sameType {
                    if ss == 1 && ds == 1 {
                        (d.value + di * width).copyMemory(from: s.value + si * width, byteCount: t.length * width)
                    } else {
                        for i in 0..<t.length {
                            (d.value + (di + i * ds) * width).copyMemory(from: s.value + (si + i * ss) * width, byteCount: width)
                        }
                    }
                } else if wide {
                    for i in 0..<t.length {
                        let v = Self.loadWide(s.value + (si + i * ss) * width, source.dtype)
                        Self.storeWide(v, d.value + (di + i * ds) * outWidth, destination.dtype)
                    }
                } else if integers {
                    for i in 0..<t.length {
                        let v = Self.loadInteger(s.value + (si + i * ss) * width, source.dtype)
                        Self.storeInteger(v, d.value + (di + i * ds) * outWidth, destination.dtype)
                    }
                } else {
                    RowIO.read(s.value, source.dtype, start: si, count: t.length, stride: ss, into: scratch.row(0))
                    RowIO.write(d.value, destination.dtype, start: di, count: t.length, stride: ds, from: scratch.row(0))
                }
            }
        }
    }

    /// Packed 4-bit storage: a byte copy between contiguous tensors of the same dtype, or unpacking to
    /// another dtype from a contiguous source.
    private func copyPacked(_ source: Tensor, _ src: UnsafeMutableRawPointer, into destination: Tensor,
                            _ dst: UnsafeMutableRawPointer) throws {
        if source.dtype == destination.dtype && source.isContiguous && destination.isContiguous {
            dst.copyMemory(from: src, byteCount: try source.dtype.byteCount(elements: source.count))
            return
        }
        guard source.isContiguous && !destination.dtype.isPacked else {
            throw TensorError.unsupported(backend: name, op: "copy",
                                          detail: "strided or packed-destination copies of \(source.dtype) to \(destination.dtype)")
        }
        var values = [Float](repeating: 0, count: source.count)
        values.withUnsafeMutableBufferPointer { ElementConversion.decode(source.dtype, from: src, count: source.count, into: $0.baseAddress!) }
        let staged = try Tensor(values, shape: source.shape, dtype: .f32, on: self)
        try copy(staged, into: destination)
    }

    @inline(__always)
    static func loadInteger(_ p: UnsafeRawPointer, _ dtype: DType) -> Int64 {
        switch dtype {
        case .i64: return p.loadUnaligned(as: Int64.self)
        case .i32: return Int64(p.loadUnaligned(as: Int32.self))
        case .i16: return Int64(p.loadUnaligned(as: Int16.self))
        case .i8: return Int64(p.load(as: Int8.self))
        default: return Int64(p.load(as: UInt8.self))
        }
    }

    /// Stores with wrap-around, like torch's integer casts.
    @inline(__always)
    static func storeInteger(_ v: Int64, _ p: UnsafeMutableRawPointer, _ dtype: DType) {
        switch dtype {
        case .i64: p.storeBytes(of: v, as: Int64.self)
        case .i32: p.storeBytes(of: Int32(truncatingIfNeeded: v), as: Int32.self)
        case .i16: p.storeBytes(of: Int16(truncatingIfNeeded: v), as: Int16.self)
        case .i8: p.storeBytes(of: Int8(truncatingIfNeeded: v), as: Int8.self)
        case .bool: p.storeBytes(of: UInt8(v != 0 ? 1 : 0), as: UInt8.self)
        default: p.storeBytes(of: UInt8(truncatingIfNeeded: v), as: UInt8.self)
        }
    }

    /// One element as Double: integers exactly, floats by value.
    @inline(__always)
    static func loadWide(_ p: UnsafeRawPointer, _ dtype: DType) -> Double {
        if dtype == .f64 { return p.loadUnaligned(as: Double.self) }
        if !dtype.isFloatingPoint { return Double(loadInteger(p, dtype)) }
        var f: Float = 0
        ElementConversion.decode(dtype, from: p, count: 1, into: &f)
        return Double(f)
    }

    /// Stores a Double as f64 or (truncating toward zero, wrapping like torch) as an integer.
    @inline(__always)
    static func storeWide(_ v: Double, _ p: UnsafeMutableRawPointer, _ dtype: DType) {
        if dtype == .f64 { p.storeBytes(of: v, as: Double.self); return }
        if dtype == .bool { p.storeBytes(of: UInt8(v != 0 ? 1 : 0), as: UInt8.self); return }
        let truncated = v.isNaN ? 0 : v.rounded(.towardZero)
        let wrapped = truncated >= 0x1p63 || truncated < -0x1p63 ? Int64.min : Int64(truncated)
        storeInteger(wrapped, p, dtype)
    }

    public func fill(_ destination: Tensor, value: Float) throws {
        try require(.fill, destination.dtype)
        let dst = try outputPointer(destination)
        guard destination.count > 0 else { return }
        let tiles = ElementwiseTiles(RowLayout(shape: destination.shape, strides: [destination.strides]))
        let d = UncheckedSendable(dst)
        Parallel.forEach(tiles.count, threads: threads, grain: tiles.grain) { range in
            let scratch = ScratchRows(rows: 1, length: tiles.tileLength)
            defer { scratch.free() }
            scratch.row(0).initialize(repeating: value, count: tiles.tileLength)
            for index in range {
                let t = tiles.tile(index)
                RowIO.write(d.value, destination.dtype, start: tiles.start(row: t.row, first: t.first, operand: 0),
                            count: t.length, stride: tiles.layout.rowStride(0), from: scratch.row(0))
            }
        }
    }
}
