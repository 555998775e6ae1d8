import BantamCore

/// Copies blocks of A and B into the contiguous f32 panels the micro-kernel reads.
///
/// A panel is `width` lanes (mr rows of A, or nr columns of B) by `depth` steps along K, stored
/// step-major: panel[p·width + lane]. Lanes past the edge of the matrix are zero, so the kernel always
/// computes a full tile. Packing is the only place that sees the operands' dtypes and strides: it decodes
/// f32, f16, bf16 and FP8 (and any other dtype `RowIO` reads), and handles transposed views and
/// stride-0 broadcasts, so everything after it is dense f32.
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
        if src.depthStride == 1 && src.laneStride != 1 {
            // Each lane is contiguous along K (A row-major, or B = a transposed weight): read a lane,
            // then scatter it with stride `width`.
            for l in 0..<lanes {
                let laneStart = start &+ l &* src.laneStride
                if src.dtype == .f32 {
                    let s = src.base.assumingMemoryBound(to: Float.self) + laneStart
                    for p in 0..<depth { dst[p &* width &+ l] = s[p] }
                } else {
                    RowIO.read(src.base, src.dtype, start: laneStart, count: depth, stride: 1, into: scratch)
                    for p in 0..<depth { dst[p &* width &+ l] = scratch[p] }
                }
            }
            if lanes < width {
                for p in 0..<depth { (dst + (p &* width &+ lanes)).initialize(repeating: 0, count: width &- lanes) }
            }
        } else {
            // Each step is a (possibly strided or broadcast) run of lanes: read it straight into place.
            for p in 0..<depth {
                let row = dst + p &* width
                RowIO.read(src.base, src.dtype, start: start &+ p &* src.depthStride, count: lanes,
                           stride: src.laneStride, into: row)
                if lanes < width { (row + lanes).initialize(repeating: 0, count: width &- lanes) }
            }
        }
    }

    /// Packs rows `row0 ..< row0 + rows` of A over K steps `depth0 ..< depth0 + depth` as consecutive
    /// mr-row panels (the last one zero-padded) at `dst`.
    static func packA(_ src: Source, row0: Int, rows: Int, depth0: Int, depth: Int, mr: Int,
                      into dst: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        var i = 0
        while i < rows {
            packPanel(src, lane0: row0 &+ i, lanes: min(mr, rows &- i), width: mr, depth0: depth0, depth: depth,
                      into: dst + i &* depth, scratch: scratch)
            i &+= mr
        }
    }
}
