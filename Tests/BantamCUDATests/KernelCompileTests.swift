import BantamCUDA
import Testing

/// Compiles every kernel family with NVRTC for the architectures Bantam targets. Runs wherever NVRTC can be
/// found (no GPU needed); skips otherwise, unless BANTAM_REQUIRE_NVRTC=1 (scripts/test sets it) makes a
/// missing NVRTC a failure.
@Suite struct KernelCompileTests {
    static let architectures = [80, 86, 89, 90]

    static func nvrtc() throws -> NVRTCAPI? {
        switch NVRTCAPI.load(environment: .current) {
        case .success(let api): return api
        case .failure(let why):
            if ProcessEnvironment.value("BANTAM_REQUIRE_NVRTC") == "1" {
                Issue.record("BANTAM_REQUIRE_NVRTC=1 but \(why.reason)")
            }
            return nil
        }
    }

    @Test func everyFamilyCompilesForEveryArchitecture() throws {
        guard let nvrtc = try Self.nvrtc() else { return }
        let compiler = KernelCompiler(nvrtc: nvrtc)
        #expect(!KernelSources.families.isEmpty)
        for family in KernelSources.families {
            for arch in Self.architectures {
                do {
                    let compiled = try compiler.compile(family: family, target: .cubin(arch: arch))
                    // A CUBIN is an ELF file.
                    #expect(Array(compiled.image.prefix(4)) == [0x7F, 0x45, 0x4C, 0x46], "\(family) sm_\(arch)")
                    #expect(!compiled.log.contains("warning"), "\(family) sm_\(arch): \(compiled.log)")
                } catch let error as KernelCompileError {
                    Issue.record("\(error.description)\n\(error.log)")
                }
            }
        }
    }
}

extension KernelCompileTests {
    /// A kernel with a syntax error fails with a one-line summary that names the file and line, and the
    /// full log.
    @Test func syntaxErrorsAreReported() throws {
        guard let nvrtc = try Self.nvrtc() else { return }
        let compiler = KernelCompiler(nvrtc: nvrtc)
        let broken = (KernelSources.program(family: "fill") ?? "") + "\n#line 1 \"broken.cu\"\nextern \"C\" __global__ void k(float* x) { x[0] = 1.0f }\n"
        do {
            _ = try compiler.compile(source: broken, name: "broken", target: .cubin(arch: 90))
            Issue.record("a missing ';' compiled")
        } catch let error as KernelCompileError {
            #expect(error.description.hasPrefix("NVRTC could not compile broken.cu for sm_90 CUBIN: broken.cu(1): error"))
            #expect(!error.description.contains("\n"))
            #expect(error.log.contains("expected a \";\""))
        }
    }

    /// PTX output for a virtual architecture (the path for GPUs newer than the NVRTC).
    @Test func ptxTarget() throws {
        guard let nvrtc = try Self.nvrtc() else { return }
        let compiled = try KernelCompiler(nvrtc: nvrtc).compile(family: "fill", target: .ptx(arch: 80))
        let text = String(decoding: compiled.image.prefix { $0 != 0 }, as: UTF8.self)
        #expect(text.contains(".target sm_80"))
        #expect(text.contains(".entry bantam_fill_strided"))
        #expect(compiled.image.last == 0)
    }
}
