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
