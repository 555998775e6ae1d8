import BantamCUDA
import Testing

/// The ordered library search and the one-line reasons when a library is missing.
@Suite struct LibrarySearchTests {
    static let home = "/home/ann"
    static let layout = FakeFileSystem([
        "/custom/libnvrtc.so.12",
        "/custom/libcuda.so.1",
        "/usr/local/cuda/lib64/stubs/libcuda.so",
        "/usr/local/cuda-12.4/lib64/libcublas.so.12",
        "/usr/local/cuda-13.0/targets/x86_64-linux/lib/libnvrtc.so.13",
        "/usr/local/cuda-13.0/targets/x86_64-linux/lib/libnvrtc.so",
        "/usr/local/cuda-13.0/targets/x86_64-linux/lib/libcublasLt.so.13",
        "/usr/local/cuda-12.10/targets/x86_64-linux/lib/libnvrtc.so.12",
        "/opt/torch/.venv/lib/python3.9/site-packages/nvidia/cu13/lib/libnvrtc.so.13",
        "/opt/torch/.venv/lib/python3.12/site-packages/nvidia/cu13/lib/libnvrtc.so.13",
        "/opt/torch/.venv/lib/python3.12/site-packages/nvidia/cublas/lib/libcublasLt.so.12",
        "/opt/conda/lib/python3.11/site-packages/nvidia/cuda_nvrtc/lib/libnvrtc.so.12",
        "\(home)/.local/lib/python3.10/site-packages/nvidia/cu12/lib/libnvrtc.so.12",
        "/usr/local/lib/python3.12/dist-packages/nvidia/cu13/lib/libnvrtc.so.13",
        "/usr/lib/x86_64-linux-gnu/libnvrtc.so",
        "/usr/lib/x86_64-linux-gnu/libcuda.so.1",
    ])

    static func environment(_ variables: [String: String] = [:]) -> SearchEnvironment {
        SearchEnvironment(variables: ["HOME": home].merging(variables) { $1 }, fileSystem: layout)
    }

    @Test func nvrtcCandidatesInOrder() {
        let found = LibrarySearch.candidates(for: .nvrtc, in: Self.environment(["BANTAM_CUDA_LIBS": "/custom:/missing"]))
        #expect(found.paths == [
            "/custom/libnvrtc.so.12",                                        // BANTAM_CUDA_LIBS first
            "libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so",               // the loader's default path
            "/usr/local/cuda-13.0/targets/x86_64-linux/lib/libnvrtc.so.13",  // toolkits, newest first,
            "/usr/local/cuda-13.0/targets/x86_64-linux/lib/libnvrtc.so",     // newest soname first
            "/usr/local/cuda-12.10/targets/x86_64-linux/lib/libnvrtc.so.12", // 12.10 is newer than 12.4
            "/opt/conda/lib/python3.11/site-packages/nvidia/cuda_nvrtc/lib/libnvrtc.so.12",  // /opt/* by name
            "/opt/torch/.venv/lib/python3.12/site-packages/nvidia/cu13/lib/libnvrtc.so.13",  // newest Python first
            "/opt/torch/.venv/lib/python3.9/site-packages/nvidia/cu13/lib/libnvrtc.so.13",
            "\(Self.home)/.local/lib/python3.10/site-packages/nvidia/cu12/lib/libnvrtc.so.12",
            "/usr/local/lib/python3.12/dist-packages/nvidia/cu13/lib/libnvrtc.so.13",
            "/usr/lib/x86_64-linux-gnu/libnvrtc.so",
        ])
        #expect(found.searched.first == "BANTAM_CUDA_LIBS=/custom")
        #expect(found.searched.contains("BANTAM_CUDA_LIBS=/missing"))
        #expect(found.searched.contains("the loader's default path"))
    }

    @Test func driverIsNeverTakenFromToolkitOrPip() {
        let found = LibrarySearch.candidates(for: .driver, in: Self.environment())
        #expect(found.paths == ["libcuda.so.1", "libcuda.so", "/usr/lib/x86_64-linux-gnu/libcuda.so.1"])
        #expect(!found.searched.contains { $0.contains("/usr/local/cuda") || $0.contains("site-packages") })
    }

    @Test func virtualEnvironmentComesBeforeOpt() {
        let fs = FakeFileSystem([
            "/work/venv/lib/python3.12/site-packages/nvidia/cublas/lib/libcublasLt.so.12",
            "/opt/torch/.venv/lib/python3.12/site-packages/nvidia/cu13/lib/libcublasLt.so.13",
        ])
        let env = SearchEnvironment(variables: ["VIRTUAL_ENV": "/work/venv"], fileSystem: fs)
        let found = LibrarySearch.candidates(for: .cublasLt, in: env)
        #expect(found.paths.filter { $0.hasPrefix("/") } == [
            "/work/venv/lib/python3.12/site-packages/nvidia/cublas/lib/libcublasLt.so.12",
            "/opt/torch/.venv/lib/python3.12/site-packages/nvidia/cu13/lib/libcublasLt.so.13",
        ])
    }

    @Test func versionOrdering() {
        let names = ["cuda-12.4", "cuda-13.0", "cuda-12.10", "cuda-9.2", "cuda-12"]
        let sorted = names.sorted { LibrarySearch.isNewer(LibrarySearch.versionKey($0), than: LibrarySearch.versionKey($1)) }
        #expect(sorted == ["cuda-13.0", "cuda-12.10", "cuda-12.4", "cuda-12", "cuda-9.2"])
    }

    @Test func noDriverGivesOneLineReason() {
        let env = SearchEnvironment(variables: ["BANTAM_CUDA_LIBS": "/nowhere"], fileSystem: FakeFileSystem([]))
        let candidates = LibrarySearch.candidates(for: .driver, in: env)
        let result: Result<Int, CUDAUnavailable> = LibraryLoader.open(.driver, candidates: candidates) { path in
            .failure(DynamicLibraryError(path: path, message: "\(path): cannot open shared object file: No such file or directory"))
        }
        guard case .failure(let why) = result else { Issue.record("expected a failure"); return }
        #expect(why.reason.hasPrefix("no NVIDIA driver: libcuda.so.1 not found (searched BANTAM_CUDA_LIBS=/nowhere, the loader's default path"))
        #expect(!why.reason.contains("\n"))
    }

    @Test func brokenLibraryIsReported() {
        let candidates = LibrarySearch.candidates(for: .nvrtc, in: Self.environment(["BANTAM_CUDA_LIBS": "/custom"]))
        var tried: [String] = []
        let result: Result<Int, CUDAUnavailable> = LibraryLoader.open(.nvrtc, candidates: candidates) { path in
            tried.append(path)
            if path == "/custom/libnvrtc.so.12" { return .failure(DynamicLibraryError(path: path, message: "wrong ELF class: ELFCLASS32")) }
            return .failure(DynamicLibraryError(path: path, message: "\(path): No such file or directory"))
        }
        #expect(tried == candidates.paths)
        guard case .failure(let why) = result else { Issue.record("expected a failure"); return }
        #expect(why.reason.contains("could not load /custom/libnvrtc.so.12: wrong ELF class"))
        #expect(why.reason.contains("nvidia-cuda-nvrtc"))
    }

    @Test func firstLoadableCandidateWins() throws {
        let candidates = LibrarySearch.candidates(for: .nvrtc, in: Self.environment())
        let result: Result<String, CUDAUnavailable> = LibraryLoader.open(.nvrtc, candidates: candidates) { path in
            path.contains("cuda-12.10") || path.contains("python3.12") ? .success(path) : .failure(DynamicLibraryError(path: path, message: "No such file"))
        }
        #expect(try result.get() == "/usr/local/cuda-12.10/targets/x86_64-linux/lib/libnvrtc.so.12")
    }

    /// On this machine (CI has no GPU) loading either works or says why in one line; it never crashes.
    @Test func realLoadNeverCrashes() {
        switch CUDARuntime.load(environment: .current) {
        case .success(let runtime):
            #expect(runtime.deviceCount > 0)
        case .failure(let why):
            #expect(!why.reason.isEmpty)
            #expect(!why.reason.contains("\n"))
        }
        if case .failure(let why) = CUDABackend.open() {
            #expect(!why.reason.contains("\n"))
        }
    }
}
