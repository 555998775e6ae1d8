#if canImport(Glibc)
import Glibc
#endif
import BantamCUDA
import Testing

/// The build-tool plugin embeds every kernel file byte for byte; hashes and cache names are stable.
@Suite struct KernelSourcesTests {
    /// Sources/BantamCUDA/Kernels/cuda, found from this file's path.
    static var kernelFolder: String {
        let parts = "\(#filePath)".split(separator: "/").dropLast(3)      // .../Tests/BantamCUDATests/x.swift
        return "/" + parts.joined(separator: "/") + "/Sources/BantamCUDA/Kernels/cuda"
    }

    static func readFile(_ path: String) -> String? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&chunk, 1, chunk.count, file)
            bytes.append(contentsOf: chunk[0..<n])
            if n < chunk.count { break }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test func embeddedSourcesMatchFiles() throws {
        let files = try #require(RealFileSystem().entries(of: Self.kernelFolder), "no folder \(Self.kernelFolder)")
            .filter { $0.hasSuffix(".cu") || $0.hasSuffix(".cuh") }.sorted()
        #expect(files.contains("common.cuh") && files.contains("copy.cu") && files.contains("fill.cu"))
        #expect(KernelSources.all.map(\.name) == files)
        for name in files {
            let text = try #require(Self.readFile(Self.kernelFolder + "/" + name))
            let embedded = try #require(KernelSources.file(named: name))
            #expect(embedded.text == text, "\(name) differs from its embedded copy")
            #expect(KernelSources.hash(embedded.text) == KernelSources.hash(text))
        }
        #expect(KernelSources.families == files.filter { $0.hasSuffix(".cu") }.map { String($0.dropLast(3)) })
    }

    @Test func programsStartWithTheCommonHeader() throws {
        for family in KernelSources.families {
            let program = try #require(KernelSources.program(family: family))
            #expect(program.hasPrefix("#line 1 \"common.cuh\"\n"))
            #expect(program.contains("\n#line 1 \"\(family).cu\"\n"))
            #expect(program.hasSuffix(KernelSources.file(named: family + ".cu")!.text))
        }
        #expect(KernelSources.program(family: "no-such-family") == nil)
    }

    /// FNV-1a 64 reference values: the hash must never change between builds or machines (it names cache files).
    @Test func hashIsStable() {
        #expect(KernelSources.hash("") == 0xcbf2_9ce4_8422_2325)
        #expect(KernelSources.hash("a") == 0xaf63_dc4c_8601_ec8c)
        #expect(KernelSources.hash("foobar") == 0x8594_4171_f739_67e8)
        #expect(KernelSources.hex(0xab) == "00000000000000ab")
        let name = KernelDiskCache.fileName(family: "copy", programHash: 0x0123_4567_89ab_cdef, target: .cubin(arch: 90), nvrtcVersion: "13.0")
        #expect(name == "copy-0123456789abcdef-sm_90.cubin-nvrtc13.0")
    }

    @Test func targetChoice() {
        let h100 = ComputeCapability(major: 9, minor: 0)
        #expect(KernelTarget.best(for: h100, supported: [75, 80, 86, 89, 90, 100]) == .cubin(arch: 90))
        #expect(KernelTarget.best(for: ComputeCapability(major: 12, minor: 0), supported: [75, 80, 90]) == .ptx(arch: 90))
        #expect(KernelTarget.best(for: ComputeCapability(major: 7, minor: 0), supported: [75, 80]) == nil)
        #expect(KernelTarget.best(for: h100, supported: nil) == .cubin(arch: 90))
        #expect(KernelTarget.cubin(arch: 89).option == "--gpu-architecture=sm_89")
        #expect(KernelTarget.ptx(arch: 80).option == "--gpu-architecture=compute_80")
    }

    @Test func precisionPaths() {
        let ampere = PrecisionPaths(ComputeCapability(major: 8, minor: 6))
        #expect(ampere.bf16TensorCores && !ampere.fp8TensorCores && ampere.fp8Path == "FP8 weights up-cast to BF16")
        let ada = PrecisionPaths(ComputeCapability(major: 8, minor: 9))
        #expect(ada.bf16TensorCores && ada.fp8TensorCores)
        let turing = PrecisionPaths(ComputeCapability(major: 7, minor: 5))
        #expect(!turing.bf16TensorCores && !turing.fp8TensorCores)
        #expect(ComputeCapability(major: 9, minor: 0).archName == "sm_90")
    }

    @Test func diskCacheRoundTrip() throws {
        var template = Array("/tmp/bantam-kernel-cache-XXXXXX".utf8CString)
        let made = try #require(mkdtemp(&template))
        let root = String(cString: made)
        defer { _ = system("rm -rf '\(root)'") }
        let cache = KernelDiskCache(directory: root + "/a/b/kernels")
        #expect(cache.load("x") == nil)
        let bytes = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        #expect(cache.store("copy-1-sm_90.cubin-nvrtc13.0", bytes))
        #expect(cache.load("copy-1-sm_90.cubin-nvrtc13.0") == bytes)
        #expect(RealFileSystem().entries(of: root + "/a/b/kernels") == ["copy-1-sm_90.cubin-nvrtc13.0"])   // no temp file left

        #expect(KernelDiskCache.fromEnvironment(["HOME": "/h"]).directory == "/h/.cache/bantam/kernels")
        #expect(KernelDiskCache.fromEnvironment(["HOME": "/h", "XDG_CACHE_HOME": "/x"]).directory == "/x/bantam/kernels")
        #expect(KernelDiskCache.fromEnvironment(["HOME": "/h", "BANTAM_KERNEL_CACHE": "/k"]).directory == "/k")
        #expect(KernelDiskCache.fromEnvironment(["HOME": "/h", "BANTAM_KERNEL_CACHE": "off"]).directory == nil)
        #expect(KernelDiskCache(directory: nil).store("x", [1]) == false)
    }
}
