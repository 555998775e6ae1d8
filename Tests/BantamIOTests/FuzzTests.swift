import BantamCore
import BantamCPU
import BantamIO
import Testing

/// Thousands of random mutations and truncations of a valid file: each must load (and then every tensor
/// must be readable) or throw a `CheckpointError` — never crash, hang or read outside the mapping.
@Suite struct FuzzTests {
    /// A small valid file with several dtypes, a scalar, an empty tensor and metadata.
    static func seedFile(at path: String) throws {
        try SafetensorsWriter.write(to: path, entries: [
            SafetensorsEntry(name: "w", dtype: .F32, shape: [2, 3]) { $0.copyBytes(from: (0..<24).map(UInt8.init)) },
            SafetensorsEntry(name: "b", dtype: .BF16, shape: [3]) { $0.copyBytes(from: [1, 2, 3, 4, 5, 6]) },
            SafetensorsEntry(name: "s", dtype: .F64, shape: []) { $0.copyBytes(from: [0, 0, 0, 0, 0, 0, 0xF0, 0x3F]) },
            SafetensorsEntry(name: "e", dtype: .F16, shape: [0, 4]) { _ in },
            SafetensorsEntry(name: "q", dtype: .F8_E4M3, shape: [5]) { $0.copyBytes(from: [0x38, 0x40, 0x7F, 0xFE, 0]) },
            SafetensorsEntry(name: "m", dtype: .BOOL, shape: [2]) { $0.copyBytes(from: [1, 0]) },
            SafetensorsEntry(name: "f4", dtype: .F4, shape: [4]) { $0.copyBytes(from: [0x12, 0x34]) },
        ], metadata: ["format": "pt", "k": "v"])
    }

    /// Characters that turn a byte change into a plausible-looking but wrong header.
    static let jsonish = Array("0123456789-.,:[]{}\"eE \\u".utf8)

    static func mutate(_ original: [UInt8], headerEnd: Int, rng: TestRNGBox) -> [UInt8] {
        var bytes = original
        switch rng.int(0...6) {
        case 0:  // truncate anywhere
            bytes.removeLast(rng.int(1...bytes.count))
        case 1:  // replace bytes in the header with JSON punctuation and digits
            for _ in 0..<rng.int(1...3) { bytes[rng.int(8...(headerEnd - 1))] = rng.pick(jsonish) }
        case 2:  // replace any byte with any value
            for _ in 0..<rng.int(1...4) { bytes[rng.int(0...(bytes.count - 1))] = UInt8(truncatingIfNeeded: rng.next()) }
        case 3:  // change the header length a little
            let delta = rng.int(-16...16)
            let n = Int(bytes[0]) + Int(bytes[1]) << 8 + delta
            bytes[0] = UInt8(truncatingIfNeeded: n)
            bytes[1] = UInt8(truncatingIfNeeded: n >> 8)
        case 4:  // insert random bytes
            let at = rng.int(0...bytes.count)
            bytes.insert(contentsOf: (0..<rng.int(1...9)).map { _ in rng.pick(jsonish) }, at: at)
        case 5:  // delete a span inside the header
            let start = rng.int(8...(headerEnd - 2))
            bytes.removeSubrange(start..<min(headerEnd, start + rng.int(1...12)))
        default:  // append bytes
            bytes += (0..<rng.int(1...16)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        }
        return bytes
    }

    @Test func randomMutationsLoadOrThrowCheckpointError() throws {
        let rng = TestRNGBox()
        let dir = TempDir("fuzz")
        defer { dir.remove() }
        let original = dir.file("seed.safetensors")
        try Self.seedFile(at: original)
        let bytes = readBytes(original)
        let headerEnd = 8 + (try SafetensorsFile(path: original)).headerLength
        var loaded = 0, rejected = 0
        for round in 0..<3000 {
            let mutated = Self.mutate(bytes, headerEnd: headerEnd, rng: rng)
            let path = dir.file("m\(round % 8).safetensors")
            writeBytes(mutated, to: path)
            do {
                let file = try SafetensorsFile(path: path)
                loaded += 1
                // Everything a loaded file claims must be readable, inside the file.
                for info in file.tensors {
                    let raw = try file.bytes(of: info.name)
                    #expect(info.byteRange.upperBound <= mutated.count, "seed \(rng.seed), round \(round)")
                    #expect(Array(raw) == Array(mutated[info.byteRange]), "seed \(rng.seed), round \(round)")
                    if info.dtype.runtime != nil {
                        let tensor = try file.tensor(info.name, on: CPUBackend.shared)
                        #expect(try tensorBytes(tensor) == Array(raw), "seed \(rng.seed), round \(round)")
                    }
                }
            } catch let error as CheckpointError {
                rejected += 1
                #expect(error.file == path, "seed \(rng.seed), round \(round)")
                #expect(!error.description.contains("\n"), "seed \(rng.seed), round \(round): \(error)")
            } catch {
                Issue.record("seed \(rng.seed), round \(round): not a CheckpointError: \(error)")
            }
        }
        #expect(rejected > 1000, "most mutations break the file")
        #expect(loaded > 0, "some mutations keep it valid (a changed data byte)")
    }
}
