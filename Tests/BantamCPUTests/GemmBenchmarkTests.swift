import BantamCore
import BantamCPU
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// GEMM speed figures, printed (never asserted: the machine is shared). Runs only with
/// `BANTAM_BENCH=1 swift test -c release --filter GemmBenchmark`. Knobs: `BANTAM_BENCH_SIZES`
/// ("m,n,k;m,n,k", default 1024³), `BANTAM_BENCH_KERNELS` (default: all available),
/// `BANTAM_BENCH_THREADS` ("1,2"), `BANTAM_BENCH_DTYPES` ("f32,bf16"), `BANTAM_BENCH_ROUNDS`, and
/// `BANTAM_BENCH_LINEAR` ("rows,in,out;...") with `BANTAM_BENCH_WEIGHTS` ("f32,bf16,f8e4m3fn") for linear.
/// Besides `CPUBenchmark`'s wall-clock median it prints GFLOP per CPU-second (process CPU time divided
/// by the thread count), which shows the kernel's own speed when other processes share the cores.
@Suite struct GemmBenchmark {
    static var enabled: Bool { getenv("BANTAM_BENCH") != nil }

    static func env(_ name: String, _ fallback: String) -> [Substring] {
        (getenv(name).map { String(cString: $0) } ?? fallback).split(separator: ",")
    }

    static func clock(_ id: clockid_t) -> Double {
        var ts = timespec()
        clock_gettime(id, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    @Test(.enabled(if: GemmBenchmark.enabled)) func printFigures() throws {
        let sizes = (getenv("BANTAM_BENCH_SIZES").map { String(cString: $0) } ?? "1024,1024,1024")
            .split(separator: ";").map { $0.split(separator: ",").map { Int($0)! } }
        let kernels = Self.env("BANTAM_BENCH_KERNELS", GemmKernel.available.map(\.rawValue).joined(separator: ","))
            .compactMap { GemmKernel(rawValue: String($0)) }
        let threadCounts = Self.env("BANTAM_BENCH_THREADS", "2").map { Int($0)! }
        let dtypes = Self.env("BANTAM_BENCH_DTYPES", "f32").map { DType(rawValue: String($0))! }
        let rounds = Int(Self.env("BANTAM_BENCH_ROUNDS", "3")[0])!
        if let linears = getenv("BANTAM_BENCH_LINEAR").map({ String(cString: $0) }) {
            for shape in linears.split(separator: ";").map({ $0.split(separator: ",").map { Int($0)! } }) {
                for kernel in kernels {
                    for weight in Self.env("BANTAM_BENCH_WEIGHTS", "f32").map({ DType(rawValue: String($0))! }) {
                        for threads in threadCounts {
                            var wall: [Double] = []
                            for _ in 0..<rounds {
                                wall.append(try CPUBenchmark.linear(rows: shape[0], inFeatures: shape[1], outFeatures: shape[2],
                                                                    dtype: weight.isFloat8 ? .f32 : weight, weightDType: weight,
                                                                    threads: threads, repeats: 3, kernel: kernel).gflops)
                            }
                            wall.sort()
                            print("BENCH linear x[\(shape[0]), \(shape[1])]·w[\(shape[2]), \(shape[1])]ᵀ+b weight=\(weight) kernel=\(kernel) threads=\(threads): wall median \(Int(wall[wall.count / 2])) GFLOP/s [\(Int(wall.first!))–\(Int(wall.last!))]")
                        }
                    }
                }
            }
            return
        }
        for size in sizes {
            let (m, n, k) = (size[0], size[1], size[2])
            for kernel in kernels {
                for dtype in dtypes {
                    for threads in threadCounts {
                        // CPUBenchmark's own figure (wall-clock median), then a direct timing of the kernel
                        // call on both clocks: GFLOP per CPU-second is the per-core speed whatever the load.
                        var wall: [Double] = [], perCPU: [Double] = []
                        for _ in 0..<rounds {
                            wall.append(try CPUBenchmark.matmul(m: m, n: n, k: k, dtype: dtype, threads: threads,
                                                                repeats: 3, kernel: kernel).gflops)
                        }
                        let backend = CPUBackend(threads: threads, gemmKernel: kernel)
                        let a = try Tensor(.init(repeating: 0.5, count: m * k), shape: [1, m, k], dtype: dtype, on: backend)
                        let b = try Tensor(.init(repeating: 0.25, count: k * n), shape: [1, k, n], dtype: dtype, on: backend)
                        let out = try backend.empty([1, m, n], dtype: dtype)
                        try backend.matmul(a, b, into: out)
                        for _ in 0..<rounds {
                            let cpu0 = Self.clock(CLOCK_PROCESS_CPUTIME_ID)
                            try backend.matmul(a, b, into: out)
                            perCPU.append(2 * Double(m * n * k) / (Self.clock(CLOCK_PROCESS_CPUTIME_ID) - cpu0) / 1e9)
                        }
                        wall.sort(); perCPU.sort()
                        print("BENCH matmul \(m)x\(n)x\(k) \(dtype) kernel=\(kernel) threads=\(threads): wall median \(Int(wall[wall.count / 2])) GFLOP/s [\(Int(wall.first!))–\(Int(wall.last!))], per-core CPU-time \(Int(perCPU[perCPU.count / 2]))")
                    }
                }
            }
        }
    }
}
