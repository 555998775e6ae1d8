import BantamCore

/// 2-D convolution as im2col + GEMM (Kernels/cuda/conv.cu), band by band of output pixels so the column
/// scratch stays under `convColumnBudget` bytes whatever the image size:
///
///     out[n, g·Og ..< (g+1)·Og, band] [Og × count] = W_g [Og × K] · col [K × count],   K = C/G·KH·KW
///
/// `col` holds x's own elements (no conversion, zero bits where the window leaves the image); a 1×1,
/// stride-1, unpadded convolution multiplies x directly. The GEMM is the backend's `matmul` (cuBLASLt) when
/// it runs for the dtype; its result (rounded to the dtype) then gets the bias added and is moved into
/// out's band by `bantam_conv_bias_*` (so a bias rounds a second time: within one ulp of a 16-bit output of
/// the CPU's single rounding). Without a matmul (no cuBLASLt), the tiled fallback GEMM of conv.cu adds the
/// bias in f32 and writes out's band directly, rounding once.
extension CUDABackend {
    /// Upper bound of the im2col scratch, in bytes.
    static let convColumnBudget = 64 << 20

    public func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor?, params p: Conv2dParams, into out: Tensor) throws {
        guard x.rank == 4, weight.rank == 4, out.rank == 4, out.isContiguous,
              x.dtype == weight.dtype, out.dtype == x.dtype else {
            throw TensorError.shapeMismatch(op: "conv2d", detail: "x \(x.dtype) \(x.shape), weight \(weight.dtype) \(weight.shape) into \(out.dtype) \(out.shape)")
        }
        let suffix = try floatSuffix(x.dtype, op: "conv2d")
        let x = try x.contiguous(), weight = try weight.contiguous()
        let bias = try parameterVector(bias, op: "conv2d")
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (o, cg, kh, kw) = (weight.shape[0], weight.shape[1], weight.shape[2], weight.shape[3])
        let (oh, ow) = (out.shape[2], out.shape[3])
        let groups = p.groups
        guard groups > 0, c % groups == 0, o % groups == 0, cg == c / groups, out.shape[0] == n, out.shape[1] == o else {
            throw TensorError.shapeMismatch(op: "conv2d", detail: "input \(x.shape) and weight \(weight.shape) do not match with groups \(groups)")
        }
        guard out.count > 0 else { return }
        let og = o / groups
        let k = cg * kh * kw
        let pixels = oh * ow
        let width = x.dtype.bytesPerBlock
        let pointwise = kh == 1 && kw == 1 && p.strideH == 1 && p.strideW == 1 && p.padH == 0 && p.padW == 0
        let useMatmul = supports(.matmul, dtype: x.dtype)
        let band = pointwise ? pixels : min(pixels, max(256, Self.convColumnBudget / max(k * width, 1)))
        let columns = pointwise ? nil : try empty([k * band], dtype: x.dtype)
        // A scratch for matmul results when a band is narrower than the image.
        let product = useMatmul && band < pixels ? try empty([og * band], dtype: x.dtype) : nil
        let weights = try weight.reshape([groups, og, k])
        let planes = try x.reshape([n * c, h * w])
        let outRows = try out.reshape([n * o, pixels])

        for sample in 0..<n {
            for group in 0..<groups {
                let a = try weights.slice(axis: 0, group..<(group + 1))                        // [1, Og, K]
                let firstChannel = sample * c + group * cg
                let input = try planes.slice(axis: 0, firstChannel..<(firstChannel + cg))      // [Cg, H·W]
                let firstOut = sample * o + group * og
                let outBlock = try outRows.slice(axis: 0, firstOut..<(firstOut + og))          // [Og, P]
                let groupBias = try bias.map { try $0.slice(axis: 0, (group * og)..<((group + 1) * og)) }
                for first in stride(from: 0, to: pixels, by: band) {
                    let count = min(band, pixels - first)
                    // B [K × count]: x itself (pointwise) or the band's columns.
                    let b: Tensor
                    if let columns {
                        try im2col(input, into: columns, geometry: (h, w, ow, kh, kw), params: p, rows: k, first: first, count: count)
                        b = try columns.slice(axis: 0, 0..<(k * count)).reshape([k, count])
                    } else {
                        b = try input.slice(axis: 1, first..<(first + count))
                    }
                    let target = try outBlock.slice(axis: 1, first..<(first + count))          // [Og, count], row stride P
                    if useMatmul {
                        let result = count == pixels ? target : try product!.slice(axis: 0, 0..<(og * count)).reshape([og, count])
                        try matmul(a, try b.unsqueeze(0), into: try result.unsqueeze(0))
                        if groupBias != nil || count != pixels {
                            try convBias(result, into: target, bias: groupBias, suffix: suffix)
                        }
                    } else {
                        try tiledGEMM(a: try a.squeeze(0), b: b, into: target, bias: groupBias, suffix: suffix)
                    }
                }
            }
        }
    }

    /// col [K, count] (contiguous at `columns`) for output pixels first ..< first + count of one (sample, group).
    private func im2col(_ input: Tensor, into columns: Tensor, geometry: (Int, Int, Int, Int, Int), params p: Conv2dParams,
                        rows: Int, first: Int, count: Int) throws {
        let (h, w, ow, kh, kw) = geometry
        var desc = KernelStruct()
        for value in [h, w, ow, kh, kw, p.strideH, p.strideW, p.padH, p.padW, p.dilationH, p.dilationW, rows, first, count] {
            desc.append(Int64(value))
        }
        var args = KernelArguments()
        args.append(pointer: try address(input))
        args.append(pointer: try address(columns))
        args.append(desc)
        let width = input.dtype.bytesPerBlock
        let blocksX = min((count + 255) / 256, 64)
        let shape = LaunchShape(grid: (UInt32(blocksX), UInt32(min(rows, 65535)), 1), block: (256, 1, 1))
        try kernels.function("bantam_im2col_\(width)", family: "conv").launch(shape, args, on: computeStream)
    }

    /// target = source + bias per row (source [rows, cols] with its row stride; target likewise).
    private func convBias(_ source: Tensor, into target: Tensor, bias: Tensor?, suffix: String) throws {
        var args = KernelArguments()
        args.append(pointer: try address(source))
        args.append(UInt64(source.strides[0]))
        args.append(pointer: try address(target))
        args.append(UInt64(target.strides[0]))
        args.append(UInt64(target.shape[0]))
        args.append(UInt64(target.shape[1]))
        args.append(pointer: try address(orNull: bias))
        args.append(bias?.dtype.cudaCode ?? 1)
        try kernels.function("bantam_conv_bias_\(suffix)", family: "conv")
            .launch(.linear(items: target.count, maxBlocks: maxBlocks), args, on: computeStream)
    }

    /// c [M, N] (row stride of `c`) = a [M, K] · b [K, N] + bias, both with unit column stride: the fallback GEMM.
    func tiledGEMM(a: Tensor, b: Tensor, into c: Tensor, bias: Tensor?, suffix: String) throws {
        let (m, k, n) = (a.shape[0], a.shape[1], b.shape[1])
        guard a.strides[1] == 1, b.strides[1] == 1, c.strides[1] == 1, b.shape[0] == k, c.shape == [m, n] else {
            throw TensorError.invalidArgument("tiled GEMM: operands \(a.shape) · \(b.shape) -> \(c.shape) need unit column strides")
        }
        var args = KernelArguments()
        args.append(pointer: try address(a))
        args.append(UInt64(a.strides[0]))
        args.append(pointer: try address(b))
        args.append(UInt64(b.strides[0]))
        args.append(pointer: try address(c))
        args.append(UInt64(c.strides[0]))
        args.append(Int32(m))
        args.append(Int32(n))
        args.append(Int32(k))
        args.append(pointer: try address(orNull: bias))
        args.append(bias?.dtype.cudaCode ?? 1)
        let shape = LaunchShape(grid: (UInt32((n + 63) / 64), UInt32((m + 63) / 64), 1), block: (256, 1, 1))
        try kernels.function("bantam_gemm_tiled_\(suffix)", family: "conv").launch(shape, args, on: computeStream)
    }
}
