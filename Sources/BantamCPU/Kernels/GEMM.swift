import BantamCore

/// A matrix operand of any float dtype and strides: element (i, j) is at
/// `base + (i·rowStride + j·colStride)` elements.
struct MatrixOperand: @unchecked Sendable {
    let base: UnsafeRawPointer
    let dtype: DType
    let rowStride: Int
    let colStride: Int

    /// The same operand moved by `elements` (a batch item, a row block).
    func advanced(by elements: Int) -> MatrixOperand {
        MatrixOperand(base: base + elements * (dtype.byteWidth ?? 1), dtype: dtype,
                      rowStride: rowStride, colStride: colStride)
    }
}

/// Single-precision matrix multiply: the engine behind matmul, linear, attention and conv2d.
///
/// A blocked GEMM in the style of Goto/BLIS. For each nc-column, kc-deep panel of B, the panel is packed
/// once into contiguous f32 (decoding its dtype, in parallel) and shared; then the tiles of C (an mc-row
/// block of A × a group of nr-column slivers of B) are spread over the threads, each thread packing its
/// own A block and running the register-tile micro-kernel over it. Packing (GEMMPacking.swift) is where
/// dtypes and strides are handled; the micro-kernels (GEMMMicroKernel.swift, Sources/CBantamKernels) only
/// see dense f32; block sizes are in GEMMKernelChoice.swift. Products with at most four rows of A skip
/// packing and read B in place (GEMMSmallM.swift).
enum Gemm {
    /// Multiply-adds below which a product runs on one thread (a fork/join costs more than it saves).
    static let parallelThreshold = 1 << 21

    /// c[m×n] (f32, row stride ldc) = a[m×k] · b[k×n], plus the old c when `accumulate`.
    /// Uses up to `threads` threads. k = 0 gives zeros (or leaves c alone when accumulating).
    static func multiply(m: Int, n: Int, k: Int, a: MatrixOperand, b: MatrixOperand,
                         c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool, threads: Int,
                         kernel: GemmKernel = .preferred) {
        guard m > 0, n > 0 else { return }
        guard k > 0 else {
            if !accumulate { for i in 0..<m { (c + i * ldc).update(repeating: 0, count: n) } }
            return
        }
        if m <= smallRowLimit && multiplySmallM(m: m, n: n, k: k, a: a, b: b, c: c, ldc: ldc,
                                                accumulate: accumulate, threads: threads) {
            return
        }
        let threads = m * n * k < parallelThreshold ? 1 : max(1, threads)
        let blocking = GemmBlocking(kernel: kernel, m: m, n: n, k: k)
        let bPack = GemmWorkspace.allocate(blocking.kc * blocking.nc)
        defer { bPack.deallocate() }
        if threads == 1 {
            let workspace = GemmWorkspace(blocking)
            defer { workspace.free() }
            run(blocking, m: m, n: n, k: k, a: a, b: b, c: c, ldc: ldc, accumulate: accumulate, threads: 1,
                bPack: bPack, serialWorkspace: workspace)
        } else {
            run(blocking, m: m, n: n, k: k, a: a, b: b, c: c, ldc: ldc, accumulate: accumulate, threads: threads,
                bPack: bPack, serialWorkspace: nil)
        }
    }

    /// `batch` independent products: item t reads a and b moved by t·aBatchStride and t·bBatchStride
    /// elements (0 for a broadcast operand) and writes c + t·cBatchStride.
    ///
    /// Many small products (attention heads) run one per thread; a few large ones run one after another,
    /// each split across the threads.
    static func multiplyBatched(batch: Int, m: Int, n: Int, k: Int,
                                a: MatrixOperand, aBatchStride: Int, b: MatrixOperand, bBatchStride: Int,
                                c: UnsafeMutablePointer<Float>, ldc: Int, cBatchStride: Int,
                                accumulate: Bool, threads: Int, kernel: GemmKernel = .preferred) {
        guard batch > 0, m > 0, n > 0 else { return }
        let work = m * n * max(k, 1)
        let perItem = batch >= 4 * threads || work < (1 << 22)
        if threads <= 1 || batch == 1 || !perItem || k == 0 {
            for t in 0..<batch {
                multiply(m: m, n: n, k: k, a: a.advanced(by: t * aBatchStride), b: b.advanced(by: t * bBatchStride),
                         c: c + t * cBatchStride, ldc: ldc, accumulate: accumulate, threads: threads, kernel: kernel)
            }
            return
        }
        let blocking = GemmBlocking(kernel: kernel, m: m, n: n, k: k)
        let cc = UncheckedSendable(c)
        Parallel.forEach(batch, threads: threads) { items in
            let workspace = GemmWorkspace(blocking)
            let bPack = GemmWorkspace.allocate(blocking.kc * blocking.nc)
            defer { workspace.free(); bPack.deallocate() }
            for t in items {
                let a = a.advanced(by: t * aBatchStride), b = b.advanced(by: t * bBatchStride)
                let c = cc.value + t * cBatchStride
                if m <= smallRowLimit && multiplySmallM(m: m, n: n, k: k, a: a, b: b, c: c, ldc: ldc,
                                                        accumulate: accumulate, threads: 1) {
                    continue
                }
                run(blocking, m: m, n: n, k: k, a: a, b: b, c: c, ldc: ldc,
                    accumulate: accumulate, threads: 1, bPack: bPack, serialWorkspace: workspace)
            }
        }
    }

    /// The blocked loops. With one thread everything runs here on `serialWorkspace`; otherwise B's
    /// panel packing and the C tiles are each a `Parallel.forEach`, with a workspace per chunk.
    private static func run(_ blocking: GemmBlocking, m: Int, n: Int, k: Int, a: MatrixOperand, b: MatrixOperand,
                            c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool, threads: Int,
                            bPack: UnsafeMutablePointer<Float>, serialWorkspace: GemmWorkspace?) {
        let nr = blocking.nr, mc = blocking.mc
        let aSource = GemmPacking.source(a: a), bSource = GemmPacking.source(b: b)
        let mBlocks = (m + mc - 1) / mc
        let shared = UncheckedSendable((bPack, c))
        for jc in stride(from: 0, to: n, by: blocking.nc) {
            let nc = min(blocking.nc, n - jc)
            let panels = (nc + nr - 1) / nr
            for pc in stride(from: 0, to: k, by: blocking.kc) {
                let kc = min(blocking.kc, k - pc)
                let loadC = accumulate || pc > 0
                // 1. B[pc ..< pc+kc, jc ..< jc+nc] -> `panels` slivers of kc × nr, shared by all tiles.
                let packB = { (range: Range<Int>, scratch: UnsafeMutablePointer<Float>) in
                    let first = range.lowerBound * nr
                    GemmPacking.packB(bSource, lane0: jc + first, lanes: min(nc, range.upperBound * nr) - first,
                                      depth0: pc, depth: kc, nr: nr, into: shared.value.0 + first * kc, scratch: scratch)
                }
                // 2. Tiles: t = (row block of A) · groups + (group of B slivers). Consecutive tiles share the
                //    row block, so a chunk packs each A block once.
                let groups = threads == 1 ? 1 : min(panels, max(1, (4 * threads + mBlocks - 1) / mBlocks))
                let tiles = { (range: Range<Int>, workspace: GemmWorkspace) in
                    var packedBlock = -1
                    for t in range {
                        let block = t / groups, group = t % groups
                        let ic = block * mc, rows = min(mc, m - ic)
                        if block != packedBlock {
                            GemmPacking.packA(aSource, row0: ic, rows: rows, depth0: pc, depth: kc, mr: blocking.mr,
                                              replication: blocking.aReplication, into: workspace.aPack,
                                              panel: workspace.aPanel, scratch: workspace.scratch)
                            packedBlock = block
                        }
                        macroKernel(blocking, kc: kc, rows: rows, columns: nc,
                                    panels: (group * panels / groups)..<((group + 1) * panels / groups),
                                    aPack: workspace.aPack, bPack: shared.value.0,
                                    c: shared.value.1 + ic * ldc + jc, ldc: ldc, loadC: loadC, tile: workspace.tile)
                    }
                }
                if let workspace = serialWorkspace {
                    packB(0..<panels, workspace.scratch)
                    tiles(0..<(mBlocks * groups), workspace)
                } else {
                    Parallel.forEach(panels, threads: threads, grain: 4) { range in
                        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: kc)
                        defer { scratch.deallocate() }
                        packB(range, scratch)
                    }
                    Parallel.forEach(mBlocks * groups, threads: threads) { range in
                        let workspace = GemmWorkspace(blocking)
                        defer { workspace.free() }
                        tiles(range, workspace)
                    }
                }
            }
        }
    }

    /// Runs the micro-kernel over one packed A block (`rows` × kc) and the B slivers `panels`, writing the
    /// C block at `c` (its row 0, column 0 of the panel set). Edge tiles go through `tile` and only
    /// their valid part is written.
    @inline(__always)
    private static func macroKernel(_ blocking: GemmBlocking, kc: Int, rows: Int, columns: Int, panels: Range<Int>,
                                    aPack: UnsafeMutablePointer<Float>, bPack: UnsafeMutablePointer<Float>,
                                    c: UnsafeMutablePointer<Float>, ldc: Int, loadC: Bool,
                                    tile: UnsafeMutablePointer<Float>) {
        let mr = blocking.mr, nr = blocking.nr, kernel = blocking.kernel
        // Row slivers outside, column slivers inside: the mr × kc sliver of A stays in L1 while the B
        // slivers stream from L2, and consecutive tiles walk along C's rows (which the hardware prefetcher
        // follows). Measured faster here than the BLIS order (B sliver in L1, A slivers streaming).
        var i = 0
        while i < rows {
            let height = min(mr, rows &- i)
            let ap = aPack + i &* kc &* blocking.aReplication
            for q in panels {
                let j = q &* nr
                let width = min(nr, columns &- j)
                let bp = bPack + j &* kc
                let cp = c + (i &* ldc &+ j)
                if height == mr && width == nr {
                    GemmMicroKernel.run(kernel, kc: kc, a: ap, b: bp, c: cp, ldc: ldc, accumulate: loadC)
                } else {
                    // Edge tile: compute the full tile aside, write only its valid part.
                    GemmMicroKernel.run(kernel, kc: kc, a: ap, b: bp, c: tile, ldc: nr, accumulate: false)
                    for r in 0..<height {
                        let src = tile + r &* nr, dst = cp + r &* ldc
                        if loadC {
                            for x in 0..<width { dst[x] += src[x] }
                        } else {
                            dst.update(from: src, count: width)
                        }
                    }
                }
            }
            i &+= mr
        }
    }
}

/// Per-thread buffers of the GEMM: the packed A block, one A panel before replication, an edge tile and
/// a decode row.
struct GemmWorkspace {
    let aPack: UnsafeMutablePointer<Float>
    let aPanel: UnsafeMutablePointer<Float>
    let tile: UnsafeMutablePointer<Float>
    let scratch: UnsafeMutablePointer<Float>

    init(_ blocking: GemmBlocking) {
        aPack = Self.allocate(blocking.mc * blocking.kc * blocking.aReplication)
        aPanel = Self.allocate(blocking.aReplication > 1 ? blocking.mr * blocking.kc : 1)
        tile = Self.allocate(blocking.mr * blocking.nr)
        scratch = Self.allocate(blocking.kc)
    }

    /// `count` floats aligned to a cache line, so a kernel's vector loads of a packed row never straddle
    /// two lines. Freed with `deallocate()`.
    static func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
        UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64)
            .bindMemory(to: Float.self, capacity: max(count, 1))
    }

    func free() {
        aPack.deallocate()
        aPanel.deallocate()
        tile.deallocate()
        scratch.deallocate()
    }
}
