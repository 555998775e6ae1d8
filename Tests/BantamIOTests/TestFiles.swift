import BantamCore
import BantamCPU
import BantamIO
import BantamTestSupport
import Foundation
import Testing

/// A fresh folder under /tmp, removed when the test is done (`defer { dir.remove() }`).
struct TempDir {
    let path: String

    init(_ label: String = "io") {
        var template = Array("/tmp/bantam-\(label)-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil, "cannot create a temporary folder")
        path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    func file(_ name: String) -> String { path + "/" + name }

    @discardableResult
    func makeFolder(_ name: String) -> String {
        let folder = file(name)
        try! FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// Writes `bytes` to `path` in place (plain fopen/fwrite: no atomic-rename or sync, which would make the
/// thousands of fuzz files slow).
func writeBytes(_ bytes: [UInt8], to path: String) {
    guard let handle = fopen(path, "wb") else { fatalError("cannot write \(path)") }
    let written = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, handle) }
    fclose(handle)
    precondition(written == bytes.count, "short write to \(path)")
}

func readBytes(_ path: String) -> [UInt8] {
    [UInt8](FileManager.default.contents(atPath: path) ?? Data())
}

func fileExists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

/// The committed fixtures folder (Tests/BantamIOTests/Fixtures, copied into the test bundle).
func fixturesPath() throws -> String {
    if let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil) { return url.path }
    let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    return source.path
}

/// A safetensors file made by hand: the 8-byte length (or `length`), the header text, the data.
func craft(_ header: String, data: [UInt8] = [], length: UInt64? = nil) -> [UInt8] {
    let json = Array(header.utf8)
    let n = length ?? UInt64(json.count)
    return (0..<8).map { UInt8(truncatingIfNeeded: n >> (8 * UInt64($0))) } + json + data
}

/// Random bytes for a tensor of `dtype` (bool: 0 or 1 only).
func randomBytes(_ count: Int, dtype: SafetensorsDType, rng: TestRNGBox) -> [UInt8] {
    (0..<count).map { _ in
        let b = UInt8(truncatingIfNeeded: rng.next())
        return dtype == .BOOL ? b & 1 : b
    }
}

/// A seeded generator passed around by reference; `seedComment` goes into every expectation so a failure
/// can be replayed.
final class TestRNGBox {
    var rng: TestRNG
    init(seed: UInt64 = UInt64.random(in: 0...UInt64.max)) { rng = TestRNG(seed: seed) }
    var seed: UInt64 { rng.seed }
    func next() -> UInt64 { rng.next() }
    func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(next() % UInt64(range.count)) }
    func pick<T>(_ items: [T]) -> T { items[int(0...(items.count - 1))] }
    var seedComment: Comment { "seed \(seed)" }
}

/// A CPU tensor holding exactly `bytes` as `dtype` and `shape`.
func tensorFromBytes(_ bytes: [UInt8], dtype: DType, shape: [Int]) throws -> Tensor {
    let host = HostBuffer(byteCount: bytes.count)
    bytes.withUnsafeBytes { host.base.copyMemory(from: $0.baseAddress ?? UnsafeRawPointer(host.base), byteCount: bytes.count) }
    return try CPUBackend.shared.makeTensor(host: host, byteOffset: 0, dtype: dtype, shape: Shape(shape))
}

/// The row-major bytes of a tensor.
func tensorBytes(_ tensor: Tensor) throws -> [UInt8] {
    let host = try tensor.hostBuffer()
    return [UInt8](UnsafeRawBufferPointer(start: host.base, count: tensor.byteCount))
}

/// Runs `body`, requires it to throw a `CheckpointError`, and returns it (nil, with a recorded issue, otherwise).
@discardableResult
func expectCheckpointError(_ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation,
                           _ body: () throws -> Void) -> CheckpointError? {
    do {
        try body()
        Issue.record("expected a CheckpointError, nothing was thrown \(comment.map { "(\($0))" } ?? "")", sourceLocation: sourceLocation)
    } catch let error as CheckpointError {
        return error
    } catch {
        Issue.record("expected a CheckpointError, got \(type(of: error)): \(error) \(comment.map { "(\($0))" } ?? "")", sourceLocation: sourceLocation)
    }
    return nil
}
