import BantamCLI
import BantamCore
import BantamCPU
import BantamIO
import BantamQuant
import BantamTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Fixture files of scripts/goldens/quant_goldens.py and helpers shared by the BantamQuant tests.
enum QuantFixtures {
    static let cpu = CPUBackend.shared

    static func path(_ name: String) -> String { Fixtures.path("quant/" + name) }
    static func file(_ name: String) throws -> Checkpoint { try Checkpoint(path: path(name)) }
    static func source(_ name: String) throws -> QuantizedTensorSource {
        try QuantizedTensorSource(try file(name), host: cpu)
    }

    /// `expected.safetensors` entry `<stem>/<key>`.
    static func expected(_ stem: String, _ key: String) throws -> Tensor {
        try file("expected.safetensors").tensor("\(stem)/\(key)", on: cpu)
    }

    /// The raw bytes of a tensor.
    static func bytes(_ t: Tensor) throws -> [UInt8] { try hostBytes(t) }

    /// f32 values as bit patterns (exact comparisons that also hold for NaN payloads and -0).
    static func bits(_ t: Tensor) throws -> [UInt32] { try t.cast(to: .f32).floats().map(\.bitPattern) }
    static func bits(_ values: [Float]) -> [UInt32] { values.map(\.bitPattern) }
}

/// A folder under $TMPDIR removed by `cleanup()`.
struct TemporaryFolder {
    let path: String

    init() throws {
        let base = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        var template = Array((base + "/bantam-quant-tests-XXXXXX").utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
            throw TensorError.invalidArgument("cannot create a temporary folder in \(base)")
        }
        path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    func file(_ name: String) -> String { path + "/" + name }

    func cleanup() {
        if let dir = opendir(path) {
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                if name != "." && name != ".." { unlink(path + "/" + name) }
            }
            closedir(dir)
        }
        rmdir(path)
    }
}

/// Runs `bantam` in process with captured output.
func bantam(_ arguments: [String]) async -> (code: Int32, out: String, err: String) {
    let out = CapturedOutput(), err = CapturedOutput()
    let code = await BantamMain.run(arguments, output: out, errors: err)
    return (code, out.text, err.text)
}

/// A copy of a safetensors file with tensors removed, replaced or added (for damaged-file tests).
func rewrite(_ name: String, to path: String, drop: Set<String> = [], replace: [String: Tensor] = [:],
             metadata: [String: String]? = nil) throws {
    let file = try QuantFixtures.file(name)
    var tensors: [(String, Tensor)] = []
    for key in file.tensorNames where !drop.contains(key) && replace[key] == nil {
        tensors.append((key, try file.tensor(key, on: QuantFixtures.cpu)))
    }
    for (key, t) in replace { tensors.append((key, t)) }
    try SafetensorsWriter.write(to: path, tensors: tensors, metadata: metadata ?? file.metadata)
}

/// A U8 tensor holding `text` (JSON tensors of quantized files).
func textTensor(_ text: String) throws -> Tensor {
    let bytes = Array(text.utf8)
    return try Tensor(ints: bytes.map(Int.init), shape: [bytes.count], dtype: .u8, on: QuantFixtures.cpu)
}

/// Signal-to-noise of two value lists (dB).
func snr(_ reference: [Float], _ approximation: [Float]) -> Double {
    SignalToNoise(reference: reference, approximation: approximation).decibels
}
