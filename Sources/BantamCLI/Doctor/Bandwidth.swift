import BantamCore
import BantamCUDA

/// `bantam doctor --bandwidth`: memory and transfer rates of the GPU, timed with CUDA events (median of
/// several runs after a warm-up) on non-zero data, against the H100 ceilings measured with PyTorch
/// (shared/reference/performance.md: 3018 GB/s device copy, 53.3 GB/s pinned host-to-device).
enum Bandwidth {
    struct Row {
        let name: String
        let bytesMoved: Int
        let seconds: Double
        var gigabytesPerSecond: Double { Double(bytesMoved) / seconds / 1e9 }
    }

    /// Runs the measurements with a working set of `bytes` per buffer.
    static func measure(_ backend: CUDABackend, bytes: Int, repeats: Int = 20) throws -> [Row] {
        var rows: [Row] = []
        let count = bytes / 4
        // Random f32 data uploaded from host memory (also the host-to-device measurement).
        let host = HostBuffer(byteCount: count * 4)
        var state: UInt64 = 0x1234_5678_9ABC_DEF1
        for i in 0..<count {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let value = Float(Int32(truncatingIfNeeded: state >> 32)) * 0x1p-31
            host.base.storeBytes(of: value, toByteOffset: 4 * i, as: Float.self)
        }
        // Host to device: the pageable path, then staged with several chunkings (the first is the default).
        let configurations = [StagingConfiguration(), StagingConfiguration(chunkBytes: 16 << 20, buffers: 2, threads: 8),
                              StagingConfiguration(chunkBytes: 32 << 20, buffers: 3), StagingConfiguration(chunkBytes: 64 << 20, buffers: 2),
                              StagingConfiguration(chunkBytes: 8 << 20, buffers: 4)]
        let defaultStaging = backend.staging
        func upload(_ label: String) throws {
            var times: [Double] = []
            for _ in 0..<4 {
                let start = MonotonicClock.now()
                let t = try backend.makeTensor(host: host, byteOffset: 0, dtype: .f32, shape: [count])
                try backend.synchronize()
                times.append(MonotonicClock.now() - start)
                _ = t
            }
            rows.append(Row(name: "host→device \(label) (makeTensor)", bytesMoved: count * 4, seconds: median(times.dropFirst())))
        }
        backend.transferMode = .pageable
        try upload("pageable")
        backend.transferMode = .staged
        for config in configurations {
            backend.staging = config
            try upload("staged \(config.chunkBytes >> 20) MiB x\(config.buffers), \(config.threads) threads")
        }
        backend.staging = defaultStaging
        let source = try backend.makeTensor(host: host, byteOffset: 0, dtype: .f32, shape: [count])
        // Device to host into fresh memory (toHost: page faults included) and into reused memory (download).
        for mode in TransferMode.allCases {
            backend.transferMode = mode
            var times: [Double] = []
            for _ in 0..<4 {
                let start = MonotonicClock.now()
                _ = try backend.toHost(source)
                times.append(MonotonicClock.now() - start)
            }
            rows.append(Row(name: "device→host \(mode), fresh memory (toHost)", bytesMoved: count * 4, seconds: median(times.dropFirst())))
            times = []
            for _ in 0..<4 {
                let start = MonotonicClock.now()
                try backend.download(source, into: host.mutableBytes)
                times.append(MonotonicClock.now() - start)
            }
            rows.append(Row(name: "device→host \(mode), reused memory (download)", bytesMoved: count * 4, seconds: median(times.dropFirst())))
        }
        backend.transferMode = .staged

        let destination = try backend.empty([count], dtype: .f32)
        let src = try backend.address(source), dst = try backend.address(destination)
        let driver = backend.context.driver
        rows.append(Row(name: "device copy, cuMemcpyDtoDAsync", bytesMoved: 2 * count * 4, seconds: try time(backend, repeats) {
            try driver.check(driver.cuMemcpyDtoDAsync(dst, src, count * 4, backend.computeStream.handle), "cuMemcpyDtoDAsync")
        }))
        let bytes16 = try backend.kernels.function("bantam_copy_bytes16", family: "copy")
        for blocksPerSM in [4, 16, 64] {
            var args = KernelArguments()
            args.append(pointer: src)
            args.append(pointer: dst)
            args.append(UInt64(count * 4 / 16))
            let shape = LaunchShape.linear(items: count * 4 / 16, maxBlocks: backend.device.multiprocessors * blocksPerSM)
            rows.append(Row(name: "device copy, bantam_copy_bytes16 (\(shape.grid.x) blocks)", bytesMoved: 2 * count * 4,
                            seconds: try time(backend, repeats) { try bytes16.launch(shape, args, on: backend.computeStream) }))
        }
        let bf16 = try backend.empty([count], dtype: .bf16)
        rows.append(Row(name: "cast f32→bf16 (copy op)", bytesMoved: count * 6, seconds: try time(backend, repeats) {
            try backend.copy(source, into: bf16)
        }))
        rows.append(Row(name: "cast bf16→f32 (copy op)", bytesMoved: count * 6, seconds: try time(backend, repeats) {
            try backend.copy(bf16, into: destination)
        }))
        let fp8 = try backend.empty([count], dtype: .f8e4m3fn)
        rows.append(Row(name: "cast bf16→f8e4m3fn (copy op)", bytesMoved: count * 3, seconds: try time(backend, repeats) {
            try backend.copy(bf16, into: fp8)
        }))
        let permuted = try source.reshape([count / 4096, 4096]).T
        let transposed = try backend.empty(permuted.shape, dtype: .bf16)
        rows.append(Row(name: "transpose f32→bf16 [\(count / 4096), 4096]ᵀ (tiled)", bytesMoved: count * 6,
                        seconds: try time(backend, repeats) { try backend.copy(permuted, into: transposed) }))
        let heads = try backend.empty([count / 2], dtype: .bf16)
        let tokens = count / 2 / (24 * 128)
        let headsView = try bf16.slice(axis: 0, 0..<(tokens * 24 * 128)).reshape([tokens, 24, 128]).permute(1, 0, 2)
        let headsOut = try heads.slice(axis: 0, 0..<(tokens * 24 * 128)).reshape([24, tokens, 128])
        rows.append(Row(name: "permute bf16 [\(tokens), 24, 128] → [24, \(tokens), 128] (16-byte units)", bytesMoved: tokens * 24 * 128 * 4,
                        seconds: try time(backend, repeats) { try backend.copy(headsView, into: headsOut) }))
        let bf16Matrix = try bf16.reshape([count / 4096, 4096]).T
        let bf16Transposed = try backend.empty(bf16Matrix.shape, dtype: .bf16)
        rows.append(Row(name: "transpose bf16 [\(count / 4096), 4096]ᵀ (tiled)", bytesMoved: count * 4,
                        seconds: try time(backend, repeats) { try backend.copy(bf16Matrix, into: bf16Transposed) }))
        rows.append(Row(name: "fill f32 (cuMemsetD32Async)", bytesMoved: count * 4, seconds: try time(backend, repeats) {
            try backend.fill(destination, value: 1.5)
        }))
        return rows
    }

    /// Median seconds of `repeats` runs of `body` on the compute stream, timed with events, after a warm-up.
    static func time(_ backend: CUDABackend, _ repeats: Int, _ body: () throws -> Void) throws -> Double {
        try body()
        try backend.synchronize()
        let start = try CUDAEvent(context: backend.context), end = try CUDAEvent(context: backend.context)
        var times: [Double] = []
        for _ in 0..<repeats {
            try start.record(on: backend.computeStream)
            try body()
            try end.record(on: backend.computeStream)
            try end.synchronize()
            times.append(try end.elapsedMilliseconds(since: start) / 1000)
        }
        return median(times[...])
    }

    static func median(_ values: ArraySlice<Double>) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
    }
}
