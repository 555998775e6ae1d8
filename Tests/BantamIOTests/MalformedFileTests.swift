import BantamCore
import BantamCPU
import BantamIO
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A corpus of malformed files, generated here: each must throw a `CheckpointError` naming the file (and
/// the tensor where there is one) and saying what is wrong — never crash, hang or read out of bounds.
@Suite struct MalformedFileTests {
    struct Case: CustomStringConvertible {
        let label: String
        let bytes: [UInt8]
        /// The tensor the error must name (nil: the error must not name one).
        let tensor: String?
        /// Text the reason must contain.
        let reason: String
        var description: String { label }
    }

    /// A tensor entry's JSON.
    static func entry(_ dtype: String = "F32", _ shape: String = "[1]", _ offsets: String = "[0,4]") -> String {
        "{\"dtype\":\"\(dtype)\",\"shape\":\(shape),\"data_offsets\":\(offsets)}"
    }

    static let four = [UInt8](repeating: 7, count: 4)

    static let cases: [Case] = [
        Case(label: "0-byte file", bytes: [], tensor: nil, reason: "the file is empty"),
        Case(label: "shorter than 8 bytes", bytes: [1, 0, 0], tensor: nil, reason: "only 3 bytes"),
        Case(label: "header length 2^63", bytes: craft("{}", length: 1 << 63), tensor: nil, reason: "above the 100000000-byte limit"),
        Case(label: "header length 100_000_001", bytes: craft("{}", length: 100_000_001), tensor: nil, reason: "above the 100000000-byte limit"),
        Case(label: "header length beyond the file", bytes: craft("{}", length: 4096), tensor: nil, reason: "runs past the end of the 10-byte file"),
        Case(label: "header not an object", bytes: craft("[1, 2]"), tensor: nil, reason: "does not start with '{'"),
        Case(label: "header of garbage", bytes: craft("PK\u{3}\u{4}garbage"), tensor: nil, reason: "does not start with '{'"),
        Case(label: "header all spaces", bytes: craft("        "), tensor: nil, reason: "the header is empty"),
        Case(label: "invalid JSON inside an entry", bytes: craft("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],"), tensor: "w", reason: "not valid JSON"),
        Case(label: "invalid JSON: single quotes", bytes: craft("{'w': 1}"), tensor: nil, reason: "not valid JSON"),
        Case(label: "trailing garbage after the JSON", bytes: craft("{} xyz"), tensor: nil, reason: "after the end of the JSON value"),
        Case(label: "NUL padding after the JSON", bytes: craft("{}\u{0}\u{0}"), tensor: nil, reason: "after the end of the JSON value"),
        Case(label: "non-UTF-8 header", bytes: craft("{\"w\":1}", length: 7).enumerated().map { $0.offset == 10 ? 0xFF : $0.element },
             tensor: nil, reason: "not valid UTF-8"),
        Case(label: "lone surrogate escape in a name", bytes: craft("{\"\\ud800\":\(entry())}", data: four), tensor: nil, reason: "unpaired surrogate"),
        Case(label: "nesting 10000 deep", bytes: craft("{\"__metadata__\":" + String(repeating: "[", count: 10000) + String(repeating: "]", count: 10000) + "}"),
             tensor: nil, reason: "nest deeper than 128"),
        Case(label: "unknown dtype", bytes: craft("{\"w\":\(entry("F128"))}", data: four), tensor: "w", reason: "unknown dtype \"F128\""),
        Case(label: "dtype not a string", bytes: craft("{\"w\":{\"dtype\":5,\"shape\":[1],\"data_offsets\":[0,4]}}", data: four), tensor: "w", reason: "'dtype' is a number"),
        Case(label: "entry not an object", bytes: craft("{\"w\":[1,2]}"), tensor: "w", reason: "expected an object with dtype, shape and data_offsets"),
        Case(label: "entry missing dtype", bytes: craft("{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", data: four), tensor: "w", reason: "no 'dtype'"),
        Case(label: "entry missing shape", bytes: craft("{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", data: four), tensor: "w", reason: "no 'shape'"),
        Case(label: "entry missing data_offsets", bytes: craft("{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", data: four), tensor: "w", reason: "no 'data_offsets'"),
        Case(label: "shape not an array", bytes: craft("{\"w\":\(entry("F32", "4"))}", data: four), tensor: "w", reason: "'shape' is a number"),
        Case(label: "negative dimension", bytes: craft("{\"w\":\(entry("F32", "[-1,2]"))}", data: four), tensor: "w", reason: "shape[0] is -1"),
        Case(label: "fractional dimension", bytes: craft("{\"w\":\(entry("F32", "[1.5]"))}", data: four), tensor: "w", reason: "shape[0] is 1.5"),
        Case(label: "dimension written with an exponent", bytes: craft("{\"w\":\(entry("F32", "[1e0]"))}", data: four), tensor: "w", reason: "shape[0] is 1e0"),
        Case(label: "dimension above 2^64", bytes: craft("{\"w\":\(entry("F32", "[18446744073709551617]"))}", data: four), tensor: "w", reason: "shape[0] is 18446744073709551617, too large"),
        Case(label: "dimensions whose product overflows", bytes: craft("{\"w\":\(entry("F32", "[4294967296,4294967296]"))}", data: four), tensor: "w", reason: "more elements than fit in 64 bits"),
        Case(label: "overflow hidden behind a zero dimension", bytes: craft("{\"w\":\(entry("F32", "[0,4294967296,4294967296]", "[0,0]"))}"), tensor: "w", reason: "more elements than fit in 64 bits"),
        Case(label: "elements × bits overflow", bytes: craft("{\"w\":\(entry("F64", "[2305843009213693952]"))}", data: four), tensor: "w", reason: "too large to address"),
        Case(label: "sub-byte tensor of partial bytes", bytes: craft("{\"w\":\(entry("F4", "[3]", "[0,2]"))}", data: [1, 2]), tensor: "w", reason: "12 bits, not a whole number of bytes"),
        Case(label: "data_offsets not integers", bytes: craft("{\"w\":\(entry("F32", "[1]", "[0.0,4]"))}", data: four), tensor: "w", reason: "data_offsets[0] is 0.0"),
        Case(label: "data_offsets as strings", bytes: craft("{\"w\":\(entry("F32", "[1]", "[\"0\",\"4\"]"))}", data: four), tensor: "w", reason: "data_offsets[0] is \"0\""),
        Case(label: "data_offsets beyond 64 bits", bytes: craft("{\"w\":\(entry("F32", "[1]", "[0,99999999999999999999]"))}", data: four), tensor: "w", reason: "data_offsets[1] is 99999999999999999999, too large"),
        Case(label: "data_offsets beyond the file but within 64 bits", bytes: craft("{\"w\":\(entry("F32", "[1]", "[9223372036854775803,9223372036854775807]"))}", data: four), tensor: "w", reason: "run past the end of the data"),
        Case(label: "negative data_offsets", bytes: craft("{\"w\":\(entry("F32", "[1]", "[-4,0]"))}", data: four), tensor: "w", reason: "data_offsets[0] is -4"),
        Case(label: "reversed data_offsets", bytes: craft("{\"w\":\(entry("F32", "[0]", "[4,0]"))}", data: four), tensor: "w", reason: "are reversed"),
        Case(label: "three data_offsets", bytes: craft("{\"w\":\(entry("F32", "[1]", "[0,4,8]"))}", data: four), tensor: "w", reason: "expected [begin, end]"),
        Case(label: "shape × dtype ≠ byte length", bytes: craft("{\"w\":\(entry("F32", "[2,3]", "[0,20]"))}", data: [UInt8](repeating: 0, count: 20)), tensor: "w", reason: "needs 24 bytes but data_offsets [0, 20] span 20"),
        Case(label: "data_offsets outside the file", bytes: craft("{\"w\":\(entry("F32", "[1000]", "[0,4000]"))}", data: four), tensor: "w", reason: "run past the end of the data (4 bytes"),
        Case(label: "truncated data", bytes: craft("{\"a\":\(entry()),\"b\":\(entry("F32", "[2]", "[4,12]"))}", data: [UInt8](repeating: 1, count: 10)), tensor: "b", reason: "run past the end of the data"),
        Case(label: "overlapping tensors", bytes: craft("{\"a\":\(entry("F32", "[2]", "[0,8]")),\"b\":\(entry("F32", "[2]", "[4,12]"))}", data: [UInt8](repeating: 0, count: 12)), tensor: "b", reason: "overlap tensor 'a' at [0, 8]"),
        Case(label: "two tensors sharing bytes", bytes: craft("{\"a\":\(entry()),\"b\":\(entry())}", data: four), tensor: "b", reason: "overlap tensor 'a'"),
        Case(label: "a hole between tensors", bytes: craft("{\"a\":\(entry()),\"b\":\(entry("F32", "[1]", "[8,12]"))}", data: [UInt8](repeating: 0, count: 12)), tensor: "b", reason: "bytes 4..<8 of the data, just before this tensor, belong to no tensor (a hole)"),
        Case(label: "a hole before the first tensor", bytes: craft("{\"a\":\(entry("F32", "[1]", "[4,8]"))}", data: [UInt8](repeating: 0, count: 8)), tensor: "a", reason: "a hole"),
        Case(label: "extra bytes after the data", bytes: craft("{\"a\":\(entry())}", data: [UInt8](repeating: 0, count: 6)), tensor: nil, reason: "2 bytes after the last tensor's data belong to no tensor"),
        Case(label: "data but no tensors", bytes: craft("{}", data: [1]), tensor: nil, reason: "1 byte after the last tensor's data"),
        Case(label: "duplicate tensor names", bytes: craft("{\"w\":\(entry()),\"w\":\(entry("F32", "[1]", "[4,8]"))}", data: [UInt8](repeating: 0, count: 8)), tensor: "w", reason: "appears twice in the header"),
        Case(label: "duplicate field in an entry", bytes: craft("{\"w\":{\"dtype\":\"F32\",\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[0,4]}}", data: four), tensor: "w", reason: "duplicate key 'dtype'"),
        Case(label: "__metadata__ with a non-string value", bytes: craft("{\"__metadata__\":{\"format\":\"pt\",\"step\":5}}"), tensor: nil, reason: "__metadata__ value of 'step' is a number"),
        Case(label: "__metadata__ with a nested object", bytes: craft("{\"__metadata__\":{\"cfg\":{\"a\":\"b\"}}}"), tensor: nil, reason: "__metadata__ value of 'cfg' is an object"),
        Case(label: "__metadata__ not an object", bytes: craft("{\"__metadata__\":\"pt\"}"), tensor: nil, reason: "__metadata__ is a string"),
    ]

    @Test(arguments: cases)
    func malformedFileIsRejectedClearly(_ item: Case) throws {
        let dir = TempDir("malformed")
        defer { dir.remove() }
        let path = dir.file("case.safetensors")
        writeBytes(item.bytes, to: path)
        let error = try #require(expectCheckpointError(Comment(rawValue: item.label)) { _ = try SafetensorsFile(path: path) })
        #expect(error.file == path)
        #expect(error.tensor == item.tensor, "\(error)")
        #expect(error.reason.contains(item.reason), "\(error)")
        let description = error.description
        #expect(description.hasPrefix(path + ": "), "the message names the file")
        if let tensor = item.tensor { #expect(description.contains("tensor '\(tensor)'")) }
        #expect(!description.contains("\n"), "one line")
        // Checkpoint reports the same problem.
        let viaCheckpoint = expectCheckpointError { _ = try Checkpoint(path: path) }
        #expect(viaCheckpoint == error)
    }

    @Test func leadingWhitespaceAndNullMetadataAreAcceptedLikeTheOfficialReader() throws {
        let dir = TempDir("lenient")
        defer { dir.remove() }
        let path = dir.file("ok.safetensors")
        writeBytes(craft("\t\n {\"__metadata__\":null,\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"extra\":[1]}} \r\n\t", data: [0, 0, 0x80, 0x3F]), to: path)
        let file = try SafetensorsFile(path: path)
        #expect(file.metadata.isEmpty)
        #expect(try file.tensor("w", on: CPUBackend.shared).floats() == [1])
    }

    @Test func pathsThatAreNotFiles() throws {
        let dir = TempDir("paths")
        defer { dir.remove() }
        let folder = dir.makeFolder("a-folder.safetensors")
        let directory = try #require(expectCheckpointError { _ = try SafetensorsFile(path: folder) })
        #expect(directory.description == "\(folder): is a directory, not a .safetensors file (pass the file, or a folder to Checkpoint)")

        let missing = dir.file("nope.safetensors")
        let notFound = try #require(expectCheckpointError { _ = try SafetensorsFile(path: missing) })
        #expect(notFound.description.hasPrefix("\(missing): cannot open the file: "))
        #expect(notFound.reason.contains("No such file"))
        let checkpointMissing = try #require(expectCheckpointError { _ = try Checkpoint(path: missing) })
        #expect(checkpointMissing.description == "\(missing): no such file or folder")

        let fifo = dir.file("pipe.safetensors")
        #expect(mkfifo(fifo, 0o600) == 0)
        let pipe = try #require(expectCheckpointError { _ = try SafetensorsFile(path: fifo) })
        #expect(pipe.reason.contains("not a regular file"), "a FIFO is refused without blocking")
    }
}
