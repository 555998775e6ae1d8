import BantamCore
import BantamCPU
import BantamIO
import BantamTestSupport
import Testing

/// Files written by `SafetensorsWriter` read back exactly through `SafetensorsFile`, for every runtime
/// dtype and awkward shapes; tensors are zero-copy views of the mapping.
@Suite struct SafetensorsRoundTripTests {
    static let runtimeDTypes = DType.allCases.filter { $0 != .u4 }
    static let shapes: [[Int]] = [[], [1], [3], [7, 1], [0], [2, 0, 3], [1, 17], [3, 5, 2], [33], [2, 1, 1, 7]]

    @Test func everyRuntimeDTypeAndShapeRoundTrips() throws {
        let rng = TestRNGBox()
        let dir = TempDir("roundtrip")
        defer { dir.remove() }
        var originals: [(name: String, dtype: DType, shape: [Int], bytes: [UInt8])] = []
        for dtype in Self.runtimeDTypes {
            let format = try #require(SafetensorsDType(runtime: dtype))
            #expect(format.runtime == dtype)
            for (i, shape) in Self.shapes.enumerated() {
                let count = shape.reduce(1, *) * format.bitWidth / 8
                originals.append(("\(dtype).\(i)", dtype, shape, randomBytes(count, dtype: format, rng: rng)))
            }
        }
        let path = dir.file("all.safetensors")
        let metadata = ["format": "pt", "ünïcødé": "värde ✓", "empty": "", "json": "{\"a\": [1, 2]}"]
        try SafetensorsWriter.write(to: path, tensors: originals.map { ($0.name, try tensorFromBytes($0.bytes, dtype: $0.dtype, shape: $0.shape)) },
                                    metadata: metadata)
        #expect(!fileExists(path + ".partial"))

        let file = try SafetensorsFile(path: path)
        #expect(file.metadata == metadata)
        #expect(file.tensors.count == originals.count)
        #expect(file.fileSize == readBytes(path).count)
        #expect((8 + file.headerLength) % 8 == 0, "data starts 8-byte aligned like the official writer")
        for original in originals {
            let info = try #require(file[original.name])
            #expect(info.dtype.runtime == original.dtype)
            #expect(info.shape == original.shape)
            #expect(info.byteCount == original.bytes.count)
            #expect(Array(try file.bytes(of: original.name)) == original.bytes, rng.seedComment)
            let tensor = try file.tensor(original.name, on: CPUBackend.shared)
            #expect(tensor.dtype == original.dtype)
            #expect(tensor.shape.dims == original.shape)
            #expect(try tensorBytes(tensor) == original.bytes, rng.seedComment)
        }
        // Sorted by offset, tiling the data.
        var end = 8 + file.headerLength
        for info in file.tensors {
            #expect(info.byteRange.lowerBound == end)
            end = info.byteRange.upperBound
        }
        #expect(end == file.fileSize)
    }

    @Test func valuesSurviveForFloatTensorsAndStridedInput() throws {
        var rng = TestRNG()
        let dir = TempDir("values")
        defer { dir.remove() }
        let (matrix, _) = try rng.tensor([5, 3], dtype: .bf16, on: CPUBackend.shared)
        let transposed = try matrix.T  // non-contiguous: the writer must store it row-major
        let (vector, values) = try rng.tensor([129], dtype: .f32, on: CPUBackend.shared)
        let path = dir.file("v.safetensors")
        try SafetensorsWriter.write(to: path, tensors: [("t", transposed), ("v", vector)])
        let file = try SafetensorsFile(path: path)
        #expect(file.metadata.isEmpty)
        let back = try file.tensor("t", on: CPUBackend.shared)
        #expect(back.shape == [3, 5])
        #expect(try back.floats() == transposed.floats(), "seed \(rng.seed)")
        #expect(try file.tensor("v", on: CPUBackend.shared).floats().map(Double.init) == values, "seed \(rng.seed)")
    }

    @Test func unicodeAndEscapedNamesRoundTrip() throws {
        let dir = TempDir("names")
        defer { dir.remove() }
        let names = ["ünïcødé.权重", "emoji.🙂.weight", "quote\"back\\slash", "tab\tnew\nline", "ctrl\u{01}\u{1F}\u{7F}",
                     "slash/../name", "", " ", "é", "e\u{301}", String(repeating: "long.", count: 400)]
        let path = dir.file("names.safetensors")
        let entries = try names.enumerated().map { i, name in
            try SafetensorsEntry(name: name, tensor: tensorFromBytes([UInt8(i), 0, 0, 0], dtype: .f32, shape: [1]))
        }
        try SafetensorsWriter.write(to: path, entries: entries, metadata: ["näme\n": "välue\u{0}"])
        let file = try SafetensorsFile(path: path)
        #expect(file.metadata == ["näme\n": "välue\u{0}"])
        #expect(file.tensors.count == names.count, "é and e + U+0301 are different names, byte for byte")
        for (i, name) in names.enumerated() {
            #expect(Array(try file.bytes(of: name)) == [UInt8(i), 0, 0, 0], "\(name)")
        }
    }

    @Test func twoThousandTensors() throws {
        let rng = TestRNGBox()
        let dir = TempDir("many")
        defer { dir.remove() }
        let formats: [SafetensorsDType] = [.F32, .F16, .BF16, .I64, .U8, .F8_E4M3, .BOOL]
        var expected: [String: (SafetensorsDType, [Int], [UInt8])] = [:]
        var entries: [SafetensorsEntry] = []
        for i in 0..<2000 {
            let dtype = rng.pick(formats)
            let shape = (0..<rng.int(0...3)).map { _ in rng.int(0...4) }
            let bytes = randomBytes(shape.reduce(1, *) * dtype.bitWidth / 8, dtype: dtype, rng: rng)
            let name = "model.blocks.\(i % 57).layer\(i).weight"
            expected[name] = (dtype, shape, bytes)
            entries.append(SafetensorsEntry(name: name, dtype: dtype, shape: shape) { $0.copyBytes(from: bytes) })
        }
        let path = dir.file("many.safetensors")
        try SafetensorsWriter.write(to: path, entries: entries)
        let file = try SafetensorsFile(path: path)
        #expect(file.tensors.count == 2000)
        for (name, (dtype, shape, bytes)) in expected {
            let info = try #require(file[name])
            #expect(info.dtype == dtype && info.shape == shape, rng.seedComment)
            #expect(Array(try file.bytes(of: name)) == bytes, rng.seedComment)
        }
    }

    @Test func tensorsAreZeroCopyViewsOfTheMapping() throws {
        let dir = TempDir("zerocopy")
        defer { dir.remove() }
        let path = dir.file("z.safetensors")
        let big = try Tensor((0..<64).map(Float.init), shape: [8, 8], dtype: .f32, on: CPUBackend.shared)
        let small = try Tensor([1, 2, 3], shape: [3], dtype: .f16, on: CPUBackend.shared)
        try SafetensorsWriter.write(to: path, tensors: [("big", big), ("small", small)])
        let file = try SafetensorsFile(path: path)
        let base = try #require(file.fileBytes.baseAddress)
        for name in ["big", "small"] {
            let info = try #require(file[name])
            let raw = try file.bytes(of: name)
            #expect(raw.baseAddress == base + info.byteRange.lowerBound, "bytes(of:) points into the mapping")
            #expect(raw.count == info.byteCount)
            let tensor = try file.tensor(name, on: CPUBackend.shared)
            let storage = try #require(tensor.storage as? HostBuffer)
            #expect(UnsafeRawPointer(storage.base) == UnsafeRawPointer(base), "the tensor borrows the mapping itself")
            #expect(!storage.isWritable, "mapped memory is read-only")
            #expect(storage.byteCount == file.fileSize)
            #expect(tensor.byteOffset == info.byteRange.lowerBound)
        }
        #expect(try file.tensor("big", on: CPUBackend.shared).floats() == (0..<64).map(Float.init))
    }

    @Test func misalignedTensorsAreCopiedAndStillCorrect() throws {
        let dir = TempDir("misaligned")
        defer { dir.remove() }
        let header = "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}"
        let values: [Float] = [1.5, -2.25]
        let data = values.flatMap { v in (0..<4).map { UInt8(truncatingIfNeeded: v.bitPattern >> (8 * UInt32($0))) } }
        // One space of padding makes 8 + N odd, so the F32 data starts misaligned.
        let bytes = craft(header + " ", data: data)
        let path = dir.file("m.safetensors")
        writeBytes(bytes, to: path)
        let file = try SafetensorsFile(path: path)
        #expect(try #require(file["x"]).byteRange.lowerBound % 4 != 0)
        let tensor = try file.tensor("x", on: CPUBackend.shared)
        #expect(try tensor.floats() == values)
        let storage = try #require(tensor.storage as? HostBuffer)
        #expect(UnsafeRawPointer(storage.base) != file.fileBytes.baseAddress, "misaligned data is copied")
    }

    @Test func tensorOutlivesItsFileObject() throws {
        let dir = TempDir("lifetime")
        defer { dir.remove() }
        let path = dir.file("l.safetensors")
        try SafetensorsWriter.write(to: path, tensors: [("a", try Tensor([4, 5, 6], shape: [3], on: CPUBackend.shared))])
        var tensor: Tensor? = nil
        do {
            let file = try SafetensorsFile(path: path)
            tensor = try file.tensor("a", on: CPUBackend.shared)
        }
        #expect(try tensor!.floats() == [4, 5, 6], "the tensor keeps the mapping alive")
    }

    @Test func writerRefusesBadInputAndLeavesNothingBehind() throws {
        let dir = TempDir("writer")
        defer { dir.remove() }
        let path = dir.file("w.safetensors")
        let one = try Tensor([1], shape: [1], on: CPUBackend.shared)
        let duplicate = expectCheckpointError { try SafetensorsWriter.write(to: path, tensors: [("a", one), ("a", one)]) }
        #expect(duplicate?.tensor == "a")
        #expect(duplicate?.description.contains("twice") == true)
        let reserved = expectCheckpointError { try SafetensorsWriter.write(to: path, tensors: [("__metadata__", one)]) }
        #expect(reserved?.description.contains("reserved") == true)
        let halfByte = expectCheckpointError {
            try SafetensorsWriter.write(to: path, entries: [SafetensorsEntry(name: "f4", dtype: .F4, shape: [3]) { _ in }])
        }
        #expect(halfByte?.tensor == "f4")
        let negative = expectCheckpointError {
            try SafetensorsWriter.write(to: path, entries: [SafetensorsEntry(name: "n", dtype: .F32, shape: [-1]) { _ in }])
        }
        #expect(negative?.tensor == "n")
        #expect(throws: (any Error).self) { try SafetensorsEntry(name: "packed", tensor: try CPUBackend.shared.empty([4], dtype: .u4)) }

        struct Boom: Error {}
        let failing = expectCheckpointError {
            try SafetensorsWriter.write(to: path, entries: [
                SafetensorsEntry(name: "ok", dtype: .F32, shape: [2]) { _ in },
                SafetensorsEntry(name: "bad", dtype: .F32, shape: [2]) { _ in throw Boom() },
            ])
        }
        #expect(failing?.tensor == "bad")
        #expect(failing?.file == path)
        #expect(!fileExists(path), "a failed write leaves no file")
        #expect(!fileExists(path + ".partial"), "and no partial file")

        // A failed rewrite leaves the previous file untouched.
        try SafetensorsWriter.write(to: path, tensors: [("kept", one)])
        let before = readBytes(path)
        expectCheckpointError {
            try SafetensorsWriter.write(to: path, entries: [SafetensorsEntry(name: "x", dtype: .F32, shape: [1]) { _ in throw Boom() }])
        }
        #expect(readBytes(path) == before)
        let unwritable = expectCheckpointError { try SafetensorsWriter.write(to: dir.file("missing/folder/x.safetensors"), tensors: [("a", one)]) }
        #expect(unwritable?.description.contains("missing/folder/x.safetensors") == true)
    }

    @Test func unsupportedDTypesAreReadableAsBytesButNotAsTensors() throws {
        let dir = TempDir("unsupported")
        defer { dir.remove() }
        let path = dir.file("u.safetensors")
        try SafetensorsWriter.write(to: path, entries: [
            SafetensorsEntry(name: "c", dtype: .C64, shape: [2]) { $0.copyBytes(from: (0..<16).map(UInt8.init)) },
            SafetensorsEntry(name: "f4", dtype: .F4, shape: [4]) { $0.copyBytes(from: [0x12, 0x34]) },
        ])
        let file = try SafetensorsFile(path: path)
        #expect(Array(try file.bytes(of: "f4")) == [0x12, 0x34])
        #expect(try #require(file["f4"]).elementCount == 4)
        for name in ["c", "f4"] {
            let error = expectCheckpointError { _ = try file.tensor(name, on: CPUBackend.shared) }
            #expect(error?.tensor == name)
            #expect(error?.description.contains(file["\(name)"]!.dtype.rawValue) == true)
            #expect(error?.description.contains(path) == true)
        }
        let missing = expectCheckpointError { _ = try file.bytes(of: "nope") }
        #expect(missing?.description == "\(path): tensor 'nope': no such tensor in this file (it holds 2)")
    }
}
