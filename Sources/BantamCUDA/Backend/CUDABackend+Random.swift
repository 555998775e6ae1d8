import BantamCore

/// Random tensors made on the GPU, for synthetic full-size models in benchmarks (`bantam bench flux-step`,
/// `bench --synthetic`): a counter-based hash per element, so 12 billion weights take milliseconds instead
/// of an upload. Not torch's generator: image noise always comes from `TorchGenerator` on the host.
extension CUDABackend {
    /// A new contiguous tensor of normal values with standard deviation `std` (f32, f16, bf16 or FP8).
    public func randomNormal(_ shape: Shape, dtype: DType, std: Float, seed: UInt64) throws -> Tensor {
        guard dtype.isFloatingPoint, dtype != .f64, let code = dtype.cudaCode else {
            throw TensorError.unsupported(backend: name, op: "randomNormal", detail: "\(dtype) tensors")
        }
        let out = try empty(shape, dtype: dtype)
        guard out.count > 0 else { return out }
        try context.makeCurrent()
        var args = KernelArguments()
        args.append(pointer: try address(out))
        args.append(Int32(code))
        args.append(UInt64(out.count))
        args.append(seed)
        args.append(std)
        let kernel = try kernels.function("bantam_random_normal", family: "random")
        try kernel.launch(.linear(items: out.count, maxBlocks: maxBlocks), args, on: computeStream)
        return out
    }
}
