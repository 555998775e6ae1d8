import Foundation
import Testing

/// The built `bantam` executable, found next to the test bundle (both live in the build folder).
let bantamBinary: String? = {
    var candidates: [URL] = []
    let runner = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    candidates.append(runner.deletingLastPathComponent())
    candidates.append(Bundle.main.bundleURL.deletingLastPathComponent())
    candidates.append(Bundle.main.bundleURL)
    for folder in candidates {
        let path = folder.appendingPathComponent("bantam").path
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
           FileManager.default.isExecutableFile(atPath: path) {
            return path
        }
    }
    return nil
}()

/// Runs the binary; returns its exit status, stdout and stderr.
func runBinary(_ arguments: [String]) throws -> (code: Int32, out: String, err: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: bantamBinary!)
    process.arguments = arguments
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
}

@Suite("the bantam binary: exit status and stderr",
       .enabled(if: bantamBinary != nil, "the bantam executable was not found next to the test bundle; build it with 'swift build'"))
struct BinaryTests {
    @Test("--version exits 0 and prints the version on stdout")
    func version() throws {
        let r = try runBinary(["--version"])
        #expect(r.code == 0)
        #expect(r.out == "bantam 0.1.0\n")
        #expect(r.err.isEmpty)
    }

    @Test("inspect works on a file and prints the kind")
    func inspect() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let path = folder.path("tiny.safetensors")
        try SafetensorsFixture.tinyFlux().write(to: path)
        let r = try runBinary(["inspect", "--summary", path])
        #expect(r.code == 0, "\(r.err)")
        #expect(r.out.contains("  kind: FLUX.1-dev transformer, BFL layout\n"))
    }

    @Test("bad inputs exit non-zero with exactly one 'error:' line on stderr naming the file")
    func badInputs() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let malformed = folder.path("broken.safetensors")
        try Data("not a safetensors file".utf8).write(to: URL(fileURLWithPath: malformed))
        let empty = try folder.makeFolder("empty")
        let cases: [([String], Int32, String?)] = [
            (["inspect", folder.path("missing.safetensors")], 1, folder.path("missing.safetensors")),
            (["inspect", malformed], 1, malformed),
            (["inspect", empty], 1, empty),
            (["inspect"], 2, nil),
            (["inspect", "--nope", malformed], 2, nil),
            (["no-such-command"], 2, nil),
        ]
        for (args, code, named) in cases {
            let r = try runBinary(args)
            #expect(r.code == code, "\(args): status \(r.code), stderr \(r.err)")
            #expect(r.out.isEmpty, "\(args): \(r.out)")
            #expect(r.err.hasPrefix("error: ") && r.err.hasSuffix("\n"), "\(args): \(r.err)")
            #expect(r.err.filter { $0 == "\n" }.count == 1, "\(args): more than one line: \(r.err)")
            if let named { #expect(r.err.contains(named), "\(args): \(r.err)") }
        }
    }
}
