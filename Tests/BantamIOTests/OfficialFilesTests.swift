import BantamCore
import BantamCPU
import BantamIO
import BantamJSON
import Testing

/// Files written by the official library (scripts/goldens/safetensors_goldens.py, safetensors 0.8.0 and
/// torch 2.13) read correctly, and our writer reproduces the official writer's bytes exactly.
@Suite struct OfficialFilesTests {
    func fixture(_ name: String) throws -> String { try fixturesPath() + "/" + name }

    func loadJSON(_ name: String) throws -> JSONObject {
        let bytes = readBytes(try fixture(name))
        return try #require(try bytes.withUnsafeBytes { try JSONParser.parse($0) }.objectValue)
    }

    @Test func officialFileReadsExactly() throws {
        let expected = try loadJSON("official_dtypes.json")
        let file = try SafetensorsFile(path: try fixture("official_dtypes.safetensors"))
        #expect(file.metadata == ["format": "pt"])
        #expect(file.headerLength == expected["header_length"]?.integerValue)
        let tensors = try #require(expected["tensors"]?.objectValue)
        #expect(file.tensors.count == tensors.count)
        #expect(Set(file.tensors.map(\.dtype.rawValue)) == Set(SafetensorsDType.allCases.map(\.rawValue)).subtracting(["F6_E2M3", "F6_E3M2"]),
                "every dtype torch can write is covered")
        let dataStart = 8 + file.headerLength
        for (name, value) in tensors.entries {
            let entry = try #require(value.objectValue)
            let info = try #require(file[name], "tensor \(name)")
            #expect(info.dtype.rawValue == entry["dtype"]?.stringValue)
            #expect(info.shape == entry["shape"]?.arrayValue?.compactMap(\.integerValue))
            let offsets = try #require(entry["data_offsets"]?.arrayValue).compactMap(\.integerValue)
            #expect(info.byteRange == (dataStart + offsets[0])..<(dataStart + offsets[1]))
            let hex = try #require(entry["hex"]?.stringValue)
            #expect(Array(try file.bytes(of: name)).map { String(format2: $0) }.joined() == hex, "\(name)")

            guard let values = entry["values"]?.arrayValue else {
                let error = expectCheckpointError { _ = try file.tensor(name, on: CPUBackend.shared) }
                #expect(error?.tensor == name)
                continue
            }
            let tensor = try file.tensor(name, on: CPUBackend.shared)
            #expect(tensor.shape.dims == info.shape)
            if tensor.dtype.isFloatingPoint {
                let got = try tensor.floats()
                #expect(got.count == values.count)
                for (g, v) in zip(got, values) {
                    switch v {
                    case .string("nan"): #expect(g.isNaN, "\(name)")
                    case .string("inf"): #expect(g == .infinity, "\(name)")
                    case .string("-inf"): #expect(g == -.infinity, "\(name)")
                    default:
                        let e = Float(try #require(v.doubleValue))
                        #expect(g == e && g.sign == e.sign, "\(name): \(g) vs \(e)")
                    }
                }
            } else {
                #expect(try tensor.ints() == values.compactMap(\.integerValue), "\(name)")
            }
        }
    }

    @Test func officialFileRewrittenByOurWriterIsByteIdentical() throws {
        let path = try fixture("official_dtypes.safetensors")
        let file = try SafetensorsFile(path: path)
        let entries = try file.tensors.map { info in
            let bytes = Array(try file.bytes(of: info.name))
            return SafetensorsEntry(name: info.name, dtype: info.dtype, shape: info.shape) { $0.copyBytes(from: bytes) }
        }
        let dir = TempDir("rewrite")
        defer { dir.remove() }
        let out = dir.file("rewritten.safetensors")
        try SafetensorsWriter.write(to: out, entries: entries.reversed(), metadata: file.metadata)
        #expect(readBytes(out) == readBytes(path))
    }

    /// The reference file's tensors have bytes given by a formula; writing the same tensors here must give
    /// the bytes the official `save_file` wrote (order, escapes, padding, offsets).
    @Test func writerMatchesOfficialWriterByteForByte() throws {
        let spec = try loadJSON("writer_reference.json")
        var metadata: [String: String] = [:]
        for (key, value) in try #require(spec["metadata"]?.objectValue).entries { metadata[key] = value.stringValue }
        var entries: [SafetensorsEntry] = []
        for item in try #require(spec["tensors"]?.arrayValue) {
            let object = try #require(item.objectValue)
            let name = try #require(object["name"]?.stringValue)
            let dtypeName = try #require(object["dtype"]?.stringValue)
            let dtype = try #require(SafetensorsDType(rawValue: dtypeName))
            let shape = try #require(object["shape"]?.arrayValue).compactMap(\.integerValue)
            let seed = try #require(object["seed"]?.integerValue)
            entries.append(SafetensorsEntry(name: name, dtype: dtype, shape: shape) { buffer in
                for j in 0..<buffer.count {
                    let b = UInt8((j * 131 + seed * 71 + 7) & 0xFF)
                    buffer[j] = dtype == .BOOL ? b & 1 : b
                }
            })
        }
        let dir = TempDir("reference")
        defer { dir.remove() }
        let out = dir.file("ours.safetensors")
        try SafetensorsWriter.write(to: out, entries: entries, metadata: metadata)
        let official = readBytes(try fixture("writer_reference.safetensors"))
        let ours = readBytes(out)
        #expect(ours == official, "first difference at byte \(ours.indices.first { $0 < official.count && ours[$0] != official[$0] } ?? min(ours.count, official.count))")

        let empty = dir.file("empty.safetensors")
        try SafetensorsWriter.write(to: empty, entries: [])
        #expect(readBytes(empty) == readBytes(try fixture("writer_empty.safetensors")))
        #expect(try SafetensorsFile(path: empty).tensors.isEmpty)
    }

    @Test func officialShardedCheckpointLoads() throws {
        let folder = try fixture("sharded")
        for path in [folder, folder + "/model.safetensors.index.json"] {
            let checkpoint = try Checkpoint(path: path)
            #expect(checkpoint.files.count == 2)
            #expect(checkpoint.indexPath == folder + "/model.safetensors.index.json")
            #expect(checkpoint.tensorNames == ["blocks.0.bias", "blocks.0.weight", "blocks.1.weight", "head"])
            #expect(checkpoint.metadata == ["format": "pt"])
            #expect(checkpoint.totalBytes == 4 * 2 + 12 * 4 + 8 * 2 + 3 * 4)
            #expect(checkpoint.file(containing: "head")?.path.hasSuffix("model-00002-of-00002.safetensors") == true)
            #expect(checkpoint.info("blocks.1.weight")?.dtype == .F16)
            #expect(checkpoint.info("blocks.1.weight")?.shape == [2, 4])
            let head = try checkpoint.tensor("head", on: CPUBackend.shared)
            let direct = try SafetensorsFile(path: folder + "/model-00002-of-00002.safetensors").tensor("head", on: CPUBackend.shared)
            #expect(try head.floats() == direct.floats())
        }
    }
}

extension String {
    /// Two lowercase hex digits.
    init(format2 byte: UInt8) {
        let digits = Array("0123456789abcdef")
        self = String([digits[Int(byte >> 4)], digits[Int(byte & 15)]])
    }
}
