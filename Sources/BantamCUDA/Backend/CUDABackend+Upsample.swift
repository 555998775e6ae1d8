import BantamCore

/// Nearest-neighbour upsampling (Kernels/cuda/upsample.cu): raw element bits, 16 output bytes per step when
/// the output rows allow.
extension CUDABackend {
    public func upsampleNearest2d(_ x: Tensor, factor: Int, into out: Tensor) throws {
        guard x.rank == 4, factor >= 1,
              out.shape == [x.shape[0], x.shape[1], x.shape[2] * factor, x.shape[3] * factor],
              out.dtype == x.dtype, out.isContiguous else {
            throw TensorError.shapeMismatch(op: "upsampleNearest2d", detail: "\(x.shape) × \(factor) into \(out.shape)")
        }
        guard !x.dtype.isPacked else {
            throw TensorError.unsupported(backend: name, op: "upsampleNearest2d", detail: "packed \(x.dtype) storage")
        }
        let x = try x.contiguous()
        guard out.count > 0 else { return }
        if factor == 1 {
            try copy(x, into: out)
            return
        }
        let width = x.dtype.bytesPerBlock
        let v = 16 / width
        let (src, dst) = (try address(x), try address(out))
        let vectorized = (x.shape[3] * factor) % v == 0 && dst.isAligned(16)
        // Factor 2: each 16-byte output vector comes from one 8-byte input load.
        let halves = vectorized && factor == 2 && x.shape[3] % (v / 2) == 0 && src.isAligned(8)
        var args = KernelArguments()
        args.append(pointer: src)
        args.append(pointer: dst)
        args.append(UInt64(out.count))
        args.append(UInt64(x.shape[3]))
        args.append(UInt64(x.shape[2]))
        args.append(UInt64(factor))
        args.append(Int32(halves ? 2 : vectorized ? 1 : 0))
        try kernels.function("bantam_upsample_\(width)", family: "upsample")
            .launch(.linear(items: vectorized ? out.count / v : out.count, maxBlocks: maxBlocks), args, on: computeStream)
    }
}
