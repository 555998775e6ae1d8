import BantamCore

/// Copies blocks of A and B into the contiguous f32 panels the micro-kernel reads.
///
/// A panel is `width` lanes (mr rows of A, or nr columns of B) by `depth` steps along K, stored
/// step-major: panel[p·width + lane]. Lanes past the edge of the matrix are zero, so the kernel always
/// computes a full tile. Packing is the only place that sees the operands' dtypes and strides: it decodes
/// f32, f16, bf16 and FP8 (other dtypes through `RowIO`), and reads transposed views and stride-0
/// broadcasts in place, so everything after it is dense f32.
enum GemmPacking {
    /// One operand seen as lanes × depth: element (lane l, step p) is at
    /// `base + (l·laneStride + p·depthStride)` elements.
    struct Source {
        let base: UnsafeRawPointer
        let dtype: DType
        let laneStride: Int
        let depthStride: Int
    }

    /// A's rows are its lanes; its columns are the K steps.
    static func source(a: MatrixOperand) -> Source {
        Source(base: a.base, dtype: a.dtype, laneStride: a.rowStride, depthStride: a.colStride)
    }

    /// B's columns are its lanes; its rows are the K steps.
    static func source(b: MatrixOperand) -> Source {
        Source(base: b.base, dtype: b.dtype, laneStride: b.colStride, depthStride: b.rowStride)
    }

    /// Packs lanes `lane0 ..< lane0 + lanes` (lanes ≤ width) and steps `depth0 ..< depth0 + depth` of
    /// `src` into one panel at `dst` (width · depth floats). `scratch` holds at least `depth` floats.
    static func packPanel(_ src: Source, lane0: Int, lanes: Int, width: Int, depth0: Int, depth: Int,
                          into dst: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        let start = lane0 &* src.laneStride &+ depth0 &* src.depthStride
        let shape = PanelShape(laneStride: src.laneStride, depthStride: src.depthStride, lanes: lanes, width: width,
                               depth: depth)
        // One specialized copy loop per stored type, the decode inlined (no call per element).
        switch src.dtype {
        case .f32:
            copy(src.base.assumingMemoryBound(to: Float.self) + start, shape, dst) { $0 }
        case .bf16:
            copy(src.base.assumingMemoryBound(to: UInt16.self) + start, shape, dst) { FloatBits.float(fromBF16: $0) }
        case .f16:
            copy(src.base.assumingMemoryBound(to: UInt16.self) + start, shape, dst) { FloatBits.float(fromF16: $0) }
        case .f8e4m3fn, .f8e5m2:
            let table = src.dtype == .f8e4m3fn ? ElementConversion.f8e4m3fnTable : ElementConversion.f8e5m2Table
            table.withUnsafeBufferPointer { table in
                let codes = table.baseAddress!
                copy(src.base.assumingMemoryBound(to: UInt8.self) + start, shape, dst) { codes[Int($0)] }
            }
        default:
            // Not a dtype a matmul takes today; decoded a step at a time through RowIO.
            for p in 0..<depth {
                RowIO.read(src.base, src.dtype, start: start &+ p &* src.depthStride, count: lanes,
                           stride: src.laneStride, into: scratch)
                for l in 0..<lanes { dst[p &* width &+ l] = scratch[l] }
            }
        }
        if lanes < width {
            for p in 0..<depth { (dst + (p &* width &+ lanes)).initialize(repeating: 0, count: width &- lanes) }
        }
    }

    /// Sizes and strides of one panel copy.
    struct PanelShape {
        let laneStride: Int
        let depthStride: Int
        let lanes: Int
        let width: Int
        let depth: Int
    }

    /// dst[p·width + l] = decode(src[l·laneStride + p·depthStride]) for l < lanes, p < depth.
    @inline(__always)
    private static func copy<T>(_ src: UnsafePointer<T>, _ s: PanelShape, _ dst: UnsafeMutablePointer<Float>,
                                _ decode: (T) -> Float) {
        if s.depthStride == 1 && s.laneStride != 1 {
            // Each lane is contiguous along K (A row-major, or B = a transposed [N, K] weight): read lanes
            // in order and scatter each with stride `width` (the panel is small enough for L1).
            for l in 0..<s.lanes {
                let lane = src + l &* s.laneStride
                for p in 0..<s.depth { dst[p &* s.width &+ l] = decode(lane[p]) }
            }
        } else if s.laneStride == 1 {
            // Each step is a contiguous run of lanes (B row-major, or A transposed).
            for p in 0..<s.depth {
                let step = src + p &* s.depthStride, row = dst + p &* s.width
                for l in 0..<s.lanes { row[l] = decode(step[l]) }
            }
        } else {
            // Neither is contiguous (strided views, stride-0 broadcasts).
            for p in 0..<s.depth {
                let step = src + p &* s.depthStride, row = dst + p &* s.width
                for l in 0..<s.lanes { row[l] = decode(step[l &* s.laneStride]) }
            }
        }
    }

    /// Packs lanes `lane0 ..< lane0 + lanes` of B (its columns) over K steps `depth0 ..< depth0 + depth` as
    /// consecutive nr-wide panels (the last one zero-padded) at `dst`.
    ///
    /// When B's rows are contiguous (a row-major B), it walks B row by row, filling every panel's step p
    /// before moving on: B is then read sequentially, which the prefetcher follows, instead of as many
    /// short strided runs as there are panels.
    static func packB(_ src: Source, lane0: Int, lanes: Int, depth0: Int, depth: Int, nr: Int,
                      into dst: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        let panels = (lanes + nr - 1) / nr
        guard src.laneStride == 1 && src.depthStride != 1 && panels > 1 else {
            for q in 0..<panels {
                packPanel(src, lane0: lane0 &+ q &* nr, lanes: min(nr, lanes &- q &* nr), width: nr, depth0: depth0,
                          depth: depth, into: dst + q &* nr &* depth, scratch: scratch)
            }
            return
        }
        // Row-major: one pass over each of the `depth` rows, as a 1-step panel per row; the panel stride
        // (nr · depth) is passed as the "width" of each copy's destination.
        for p in 0..<depth {
            for q in 0..<panels {
                let first = q &* nr
                packPanel(src, lane0: lane0 &+ first, lanes: min(nr, lanes &- first), width: nr, depth0: depth0 &+ p,
                          depth: 1, into: dst + (q &* nr &* depth &+ p &* nr), scratch: scratch)
            }
        }
    }

    /// Packs rows `row0 ..< row0 + rows` of A over K steps `depth0 ..< depth0 + depth` as consecutive
    /// mr-row panels (the last one zero-padded) at `dst`. With `replication` r > 1 each value is stored r
    /// times in a row (panel[(p·mr + i)·r + copy]), packed first into `panel` (mr · depth floats).
    static func packA(_ src: Source, row0: Int, rows: Int, depth0: Int, depth: Int, mr: Int, replication: Int,
                      into dst: UnsafeMutablePointer<Float>, panel: UnsafeMutablePointer<Float>,
                      scratch: UnsafeMutablePointer<Float>) {
        var i = 0
        while i < rows {
            let lanes = min(mr, rows &- i)
            let target = dst + i &* depth &* replication
            if replication == 1 {
                packPanel(src, lane0: row0 &+ i, lanes: lanes, width: mr, depth0: depth0, depth: depth,
                          into: target, scratch: scratch)
            } else {
                packPanel(src, lane0: row0 &+ i, lanes: lanes, width: mr, depth0: depth0, depth: depth,
                          into: panel, scratch: scratch)
                for e in 0..<(mr &* depth) {
                    (target + e &* replication).initialize(repeating: panel[e], count: replication)
                }
            }
            i &+= mr
        }
    }
}
