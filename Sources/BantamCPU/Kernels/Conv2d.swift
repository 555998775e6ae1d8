import BantamCore

/// 2-D convolution as blocked im2col + GEMM: x [N, C, H, W] * weight [O, C/G, KH, KW] (+ bias [O])
/// -> out [N, O, OH, OW], with stride, symmetric zero padding, dilation and G groups.
///
/// For sample n and group g the convolution is one matrix product
///     out[n, g·Og ..< (g+1)·Og, pixels] [Og × P] = W_g [Og × K] · col [K × P],   K = C/G·KH·KW, P = OH·OW,
/// where column p of `col` holds the K input values under output pixel p (zero where the window hangs
/// over the padding). `col` is never built whole: the output pixels are cut into bands of
/// `bandPixels` (about `columnBudget / K`, at least 32) and each task (n, g, band) fills the band's
/// columns [K × band] in f32 and runs one single-threaded GEMM, so each thread holds at most ~2 MB of
/// columns whatever the image size. A 1×1 convolution with stride 1 and no padding reads x directly as
/// the [K × P] matrix (no im2col). Band sizes depend on the shapes only, so results are bit-identical for
/// any thread count. f32 outputs are written by the GEMM in place; f16/bf16 outputs go through an f32
/// band and are rounded once.
extension CPUBackend {
    /// Target size, in f32 elements, of one task's column block.
    static let convColumnBudget = 1 << 19

    public func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor?, params: Conv2dParams, into out: Tensor) throws {
        try require(.conv2d, x.dtype)
        guard x.isContiguous, weight.isContiguous, out.isContiguous else {
            throw TensorError.invalidArgument("conv2d: x, weight and out must be contiguous; call .contiguous() first")
        }
        let geometry = ConvGeometry(x: x.shape, weight: weight.shape, out: out.shape, params: params)
        guard out.count > 0 else { return }
        let g = geometry
        // Bias decoded once: [O] f32 (zeros without a bias).
        var biasValues = [Float](repeating: 0, count: g.outChannels)
        if let bias {
            let pointer = try basePointer(bias)
            biasValues.withUnsafeMutableBufferPointer {
                RowIO.read(pointer, bias.dtype, start: 0, count: g.outChannels, stride: bias.strides[0], into: $0.baseAddress!)
            }
        }
        let biasTable = biasValues
        let input = UncheckedSendable(UnsafeRawPointer(try basePointer(x)))
        let weights = UncheckedSendable(UnsafeRawPointer(try basePointer(weight)))
        let output = UncheckedSendable(try outputPointer(out))
        let (inType, weightType, outType) = (x.dtype, weight.dtype, out.dtype)
        let (inWidth, weightWidth, outWidth) = (x.dtype.byteWidth!, weight.dtype.byteWidth!, out.dtype.byteWidth!)

        let pixels = g.outH * g.outW
        let bandPixels = min(pixels, max(32, Self.convColumnBudget / max(g.k, 1)))
        let bands = (pixels + bandPixels - 1) / bandPixels
        let tasksPerSample = g.groups * bands
        Parallel.forEach(g.batch * tasksPerSample, threads: threads) { tasks in
            let columns = g.pointwise ? nil : ScratchRows(rows: g.k, length: bandPixels)
            let result = outType == .f32 ? nil : ScratchRows(rows: g.groupOut, length: bandPixels)
            let inputRow = ScratchRows(rows: 1, length: g.inW)
            defer { columns?.free(); result?.free(); inputRow.free() }

            for task in tasks {
                let n = task / tasksPerSample, group = task % tasksPerSample / bands, band = task % bands
                let p0 = band * bandPixels, count = min(bandPixels, pixels - p0)
                let firstChannel = n * g.inChannels + group * g.groupIn   // of x viewed as [N·C, H, W]
                let firstOut = n * g.outChannels + group * g.groupOut      // of out viewed as [N·O, P]

                // W_g [Og × K]
                let a = MatrixOperand(base: weights.value + group * g.groupOut * g.k * weightWidth,
                                      dtype: weightType, rowStride: g.k, colStride: 1)
                // col [K × count]: x itself for a pointwise conv, else the band's im2col columns.
                let b: MatrixOperand
                if let columns {
                    g.fillColumns(columns.buffer, input: input.value + firstChannel * g.inH * g.inW * inWidth,
                                  dtype: inType, firstPixel: p0, count: count, row: inputRow.buffer)
                    b = MatrixOperand(base: UnsafeRawPointer(columns.buffer), dtype: .f32, rowStride: count, colStride: 1)
                } else {
                    b = MatrixOperand(base: input.value + (firstChannel * pixels + p0) * inWidth, dtype: inType,
                                      rowStride: pixels, colStride: 1)
                }
                // [Og × count] f32 result: in place in an f32 output, else in the scratch band.
                let (c, ldc): (UnsafeMutablePointer<Float>, Int)
                if let result {
                    (c, ldc) = (result.buffer, count)
                } else {
                    let base = output.value + (firstOut * pixels + p0) * outWidth
                    (c, ldc) = (base.assumingMemoryBound(to: Float.self), pixels)
                }
                Gemm.multiply(m: g.groupOut, n: count, k: g.k, a: a, b: b, c: c, ldc: ldc, accumulate: false, threads: 1, kernel: gemmKernel)

                for oc in 0..<g.groupOut {
                    let row = c + oc * ldc
                    let shift = biasTable[group * g.groupOut + oc]
                    if shift != 0 { for i in 0..<count { row[i] += shift } }
                    if result != nil {
                        RowIO.write(output.value, outType, start: (firstOut + oc) * pixels + p0, count: count,
                                    stride: 1, from: row)
                    }
                }
            }
        }
    }
}

/// Sizes of one convolution and the im2col fill.
struct ConvGeometry: Sendable {
    let batch, inChannels, inH, inW: Int
    let outChannels, kernelH, kernelW, outH, outW: Int
    let groups, groupIn, groupOut: Int
    let strideH, strideW, padH, padW, dilationH, dilationW: Int

    init(x: Shape, weight: Shape, out: Shape, params p: Conv2dParams) {
        (batch, inChannels, inH, inW) = (x[0], x[1], x[2], x[3])
        (outChannels, kernelH, kernelW) = (weight[0], weight[2], weight[3])
        (outH, outW) = (out[2], out[3])
        groups = p.groups
        (groupIn, groupOut) = (inChannels / groups, outChannels / groups)
        (strideH, strideW, padH, padW, dilationH, dilationW) = (p.strideH, p.strideW, p.padH, p.padW, p.dilationH, p.dilationW)
    }

    /// Rows of the im2col matrix: one per (input channel of the group, ky, kx).
    var k: Int { groupIn * kernelH * kernelW }

    /// A 1×1, stride-1, unpadded convolution, whose column matrix is the input itself.
    var pointwise: Bool { kernelH == 1 && kernelW == 1 && strideH == 1 && strideW == 1 && padH == 0 && padW == 0 }

    /// Fills col [K × count] (row stride `count`, f32) for output pixels firstPixel ..< firstPixel + count of one
    /// (sample, group): col[(ci·KH + ky)·KW + kx][p] = x[ci, oy·sh − ph + ky·dh, ox·sw − pw + kx·dw] or 0 outside.
    /// `planes` points at the group's first input channel [Cg, H, W]; `row` is scratch for one decoded input row.
    func fillColumns(_ col: UnsafeMutablePointer<Float>, input planes: UnsafeRawPointer, dtype: DType,
                     firstPixel: Int, count: Int, row: UnsafeMutablePointer<Float>) {
        let lastPixel = firstPixel + count - 1
        for ci in 0..<groupIn {
            let planeStart = ci * inH * inW
            for ky in 0..<kernelH {
                for oy in (firstPixel / outW)...(lastPixel / outW) {
                    // This band's part of output row oy: ox in oxStart ..< oxEnd, at column offset `at`.
                    let oxStart = oy == firstPixel / outW ? firstPixel % outW : 0
                    let oxEnd = oy == lastPixel / outW ? lastPixel % outW + 1 : outW
                    let at = oy * outW + oxStart - firstPixel
                    let iy = oy * strideH - padH + ky * dilationH
                    let rowValid = iy >= 0 && iy < inH
                    if rowValid { RowIO.read(planes, dtype, start: planeStart + iy * inW, count: inW, stride: 1, into: row) }
                    for kx in 0..<kernelW {
                        // dest[ox] for ox in oxStart ..< oxEnd
                        let dest = col + ((ci * kernelH + ky) * kernelW + kx) * count + at - oxStart
                        guard rowValid else {
                            for ox in oxStart..<oxEnd { dest[ox] = 0 }
                            continue
                        }
                        // ix = ox·sw + shift lies in 0 ..< W for ox in lo ..< hi.
                        let shift = kx * dilationW - padW
                        let lo = min(oxEnd, max(oxStart, Self.ceilDiv(-shift, strideW)))
                        let hi = max(lo, min(oxEnd, Self.floorDiv(inW - 1 - shift, strideW) + 1))
                        for ox in oxStart..<lo { dest[ox] = 0 }
                        for ox in lo..<hi { dest[ox] = row[ox * strideW + shift] }
                        for ox in hi..<oxEnd { dest[ox] = 0 }
                    }
                }
            }
        }
    }

    /// ⌈a / b⌉ and ⌊a / b⌋ for b > 0 and any sign of a.
    static func ceilDiv(_ a: Int, _ b: Int) -> Int { a >= 0 ? (a + b - 1) / b : -((-a) / b) }
    static func floorDiv(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b : -((-a + b - 1) / b) }
}
