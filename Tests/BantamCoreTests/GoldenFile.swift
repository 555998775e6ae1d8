import Foundation
import Testing

/// A golden file written by scripts/goldens/*.py in the "bantam-golden-1" format (see dtype_goldens.py):
/// "BANTAMGD", a u32 header length, a JSON header naming typed little-endian arrays, then the array data.
struct GoldenFile {
    struct ArrayInfo: Decodable {
        let type: String
        let count: Int
        let offset: Int
        /// Other results torch produced through other kernel paths: [value, [indices]] pairs (NaN only).
        let alternatives: [Alternative]
    }

    /// One `[value, [index, ...]]` entry of an array's alternatives.
    struct Alternative: Decodable {
        let value: UInt32
        let indices: [Int]
        init(from decoder: any Decoder) throws {
            var c = try decoder.unkeyedContainer()
            value = try c.decode(UInt32.self)
            indices = try c.decode([Int].self)
        }
    }

    let name: String
    let header: [String: Any]
    let arrays: [String: ArrayInfo]
    private let data: Data

    /// Loads `Goldens/<name>` from the test bundle.
    init(_ name: String) throws {
        let directory = try #require(Bundle.module.url(forResource: "Goldens", withExtension: nil),
                                     "the Goldens resource folder is missing from the test bundle")
        let bytes = try Data(contentsOf: directory.appendingPathComponent(name))
        try #require(bytes.count >= 12 && bytes.prefix(8) == Data("BANTAMGD".utf8), "\(name): not a golden file")
        let headerLength = bytes[8..<12].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        let headerData = bytes[12..<(12 + headerLength)]
        self.name = name
        self.header = try #require(try JSONSerialization.jsonObject(with: headerData) as? [String: Any])
        struct Arrays: Decodable { let arrays: [String: ArrayInfo] }
        self.arrays = try JSONDecoder().decode(Arrays.self, from: headerData).arrays
        self.data = Data(bytes[(12 + headerLength)...])
    }

    /// The torch version that wrote the file (for messages).
    var torchVersion: String { ((header["versions"] as? [String: Any])?["torch"] as? String) ?? "?" }

    /// An array's values widened to UInt32.
    func values(_ array: String) throws -> [UInt32] {
        let info = try #require(arrays[array], "\(name) has no array \(array)")
        let width = ["u8": 1, "u16": 2, "u32": 4][info.type]!
        try #require(info.offset + info.count * width <= data.count, "\(name): \(array) runs past the end")
        return data.withUnsafeBytes { raw in
            (0..<info.count).map { i in
                var v: UInt32 = 0
                for b in 0..<width { v |= UInt32(raw[info.offset + i * width + b]) << (8 * b) }
                return v
            }
        }
    }

    /// Per index, the other values torch accepted (different kernels disagree on NaN bit patterns).
    func alternatives(_ array: String) -> [Int: Set<UInt32>] {
        var result: [Int: Set<UInt32>] = [:]
        for alternative in arrays[array]?.alternatives ?? [] {
            for i in alternative.indices { result[i, default: []].insert(alternative.value) }
        }
        return result
    }
}

/// Collects bit mismatches and describes the first few (input bits, expected, got) for a test failure.
struct MismatchLog {
    let what: String
    var count = 0
    var lines: [String] = []

    init(_ what: String) { self.what = what }

    mutating func record(input: UInt32, expected: UInt32, got: UInt32, inputDigits: Int = 8, digits: Int = 4) {
        count += 1
        if lines.count < 8 {
            lines.append("input 0x\(hex(input, inputDigits)): expected 0x\(hex(expected, digits)), got 0x\(hex(got, digits))")
        }
    }

    var summary: String { "\(what): \(count) mismatches; first: " + lines.joined(separator: "; ") }
}

func hex<T: BinaryInteger>(_ value: T, _ digits: Int) -> String {
    let s = String(value, radix: 16, uppercase: true)
    return String(repeating: "0", count: max(0, digits - s.count)) + s
}
