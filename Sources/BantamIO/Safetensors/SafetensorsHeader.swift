import BantamJSON
/// The validated header of a safetensors file: the JSON after the 8-byte length, checked against the file.
///
/// Validation follows the official reader (huggingface/safetensors tensor.rs `read_metadata` and
/// `Metadata::validate`) and reports each problem by file and tensor:
/// - the 8-byte little-endian length N is at most 100,000,000 and 8 + N fits in the file;
/// - the header is valid UTF-8 JSON, an object (only JSON whitespace may come before its '{', as the
///   official reader allows since 0.8, or after its '}'), without duplicate keys, nested at most 128 deep;
/// - `__metadata__` (optional, may be null) maps strings to strings;
/// - every other key is a tensor: an object with `dtype` (a known dtype string), `shape` (non-negative
///   integers) and `data_offsets` (two non-negative integers, begin ≤ end); other members are ignored like
///   the official reader does; elements × bits fits in 64 bits and is a whole number of bytes, equal to
///   end − begin; the range lies inside the data;
/// - sorted by offset, each tensor starts where the previous one ended: no overlaps, no holes;
/// - the last tensor ends exactly at the end of the file. Trailing bytes are an error, as in the official
///   reader (`MetadataIncompleteBuffer`): a file with extra bytes was not written by a conforming writer
///   and may be a truncated-then-appended or concatenated file.
/// The only stricter rule than the official reader: dimensions whose product overflows 64 bits are refused
/// even when another dimension is 0 (such a shape cannot be given strides).
struct SafetensorsHeader {
    static let maxHeaderLength = 100_000_000

    /// N, the JSON header's length in bytes (padding included).
    let headerLength: Int
    let metadata: [String: String]
    /// Sorted by byte offset (then name).
    let tensors: [TensorInfo]

    /// Parses and validates the header of the file whose bytes are `bytes` (the whole file).
    init(bytes: UnsafeRawBufferPointer, file: String) throws(CheckpointError) {
        func fail(_ reason: String, tensor: String? = nil) -> CheckpointError {
            CheckpointError(file: file, tensor: tensor, reason: reason)
        }
        let fileSize = bytes.count
        guard fileSize > 0 else {
            throw fail("the file is empty (0 bytes); a safetensors file starts with an 8-byte header length")
        }
        guard fileSize >= 8 else {
            throw fail("the file is only \(fileSize) bytes, shorter than the 8-byte header length (truncated, or not a safetensors file)")
        }
        let declared = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        guard declared <= UInt64(Self.maxHeaderLength) else {
            throw fail("header length \(declared) is above the 100000000-byte limit (not a safetensors file, or corrupted)")
        }
        let n = Int(declared)
        guard 8 + n <= fileSize else {
            throw fail("header length \(n) runs past the end of the \(fileSize)-byte file (truncated?)")
        }
        let headerBytes = UnsafeRawBufferPointer(rebasing: bytes[8..<(8 + n)])
        let dataSize = fileSize - 8 - n

        // The header must be a JSON object: find its first non-whitespace byte before parsing.
        var first = 0
        while first < n, Self.isJSONWhitespace(headerBytes[first]) { first += 1 }
        guard first < n else { throw fail("the header is empty (\(n) bytes of whitespace); expected a JSON object") }
        guard headerBytes[first] == UInt8(ascii: "{") else {
            throw fail("the header does not start with '{' (found byte 0x\(String(headerBytes[first], radix: 16)) at file offset \(8 + first)); not a safetensors file")
        }

        let root: JSONValue
        do {
            root = try JSONParser.parse(headerBytes)
        } catch {
            let offset = 8 + error.offset
            switch error.kind {
            case .invalidUTF8:
                throw fail("the header is not valid UTF-8 (file offset \(offset))")
            case .duplicateKey(let key) where error.path.isEmpty:
                throw fail("appears twice in the header; tensor names must be unique", tensor: key)
            default:
                let tensor = error.path.first.flatMap { $0 == "__metadata__" ? nil : $0 }
                throw fail("the header is not valid JSON: \(error.message) (file offset \(offset))", tensor: tensor)
            }
        }
        guard let object = root.objectValue else {
            throw fail("the header is \(root.typeName), expected a JSON object")
        }

        var metadata: [String: String] = [:]
        var tensors: [TensorInfo] = []
        tensors.reserveCapacity(object.count)
        for (name, value) in object.entries {
            if name == "__metadata__" {
                metadata = try Self.metadata(value, fail: fail)
                continue
            }
            tensors.append(try Self.tensor(name, value, dataStart: 8 + n, dataSize: dataSize, fail: fail))
        }

        // Sorted by offset the tensors must tile the data exactly: no overlaps, no holes, nothing after.
        tensors.sort { a, b in
            if a.byteRange.lowerBound != b.byteRange.lowerBound { return a.byteRange.lowerBound < b.byteRange.lowerBound }
            if a.byteRange.upperBound != b.byteRange.upperBound { return a.byteRange.upperBound < b.byteRange.upperBound }
            return a.name.utf8Precedes(b.name)
        }
        var expected = 8 + n
        var previous: TensorInfo? = nil
        for info in tensors {
            let start = info.byteRange.lowerBound
            if start > expected {
                throw fail("bytes \(expected - 8 - n)..<\(start - 8 - n) of the data, just before this tensor, belong to no tensor (a hole); the format requires the data to be fully indexed", tensor: info.name)
            }
            if start < expected, let previous {
                throw fail("data_offsets [\(start - 8 - n), \(info.byteRange.upperBound - 8 - n)] overlap tensor '\(CheckpointError.printable(previous.name))' at [\(previous.byteRange.lowerBound - 8 - n), \(previous.byteRange.upperBound - 8 - n)]", tensor: info.name)
            }
            if info.byteCount > 0 { previous = info }
            expected = info.byteRange.upperBound
        }
        if expected < fileSize {
            let extra = fileSize - expected
            throw fail("\(extra) byte\(extra == 1 ? "" : "s") after the last tensor's data belong to no tensor; the file must end where its last tensor ends (the official reader refuses this too)")
        }

        self.headerLength = n
        self.metadata = metadata
        self.tensors = tensors
    }

    /// ", too large" for an integer beyond 64 bits (kept as text by the parser), else "".
    private static func tooLarge(_ value: JSONValue) -> String {
        guard case .number(let text) = value, !text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) else { return "" }
        return ", too large"
    }

    private static func isJSONWhitespace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }

    /// `__metadata__`: an object of string values (null means none).
    private static func metadata(_ value: JSONValue, fail: (String, String?) -> CheckpointError) throws(CheckpointError) -> [String: String] {
        if value == .null { return [:] }
        guard let object = value.objectValue else {
            throw fail("__metadata__ is \(value.typeName); it must be an object whose values are strings", nil)
        }
        var metadata: [String: String] = [:]
        for (key, entry) in object.entries {
            guard let text = entry.stringValue else {
                throw fail("__metadata__ value of '\(CheckpointError.printable(key))' is \(entry.typeName) (\(entry.brief)); only strings are allowed", nil)
            }
            metadata[key] = text
        }
        return metadata
    }

    /// One tensor entry, checked on its own (types, dtype, shape against byte count, range inside the data).
    private static func tensor(_ name: String, _ value: JSONValue, dataStart: Int, dataSize: Int,
                               fail: (String, String?) -> CheckpointError) throws(CheckpointError) -> TensorInfo {
        guard let entry = value.objectValue else {
            throw fail("its header entry is \(value.typeName) (\(value.brief)); expected an object with dtype, shape and data_offsets", name)
        }
        // dtype
        guard let dtypeValue = entry["dtype"] else { throw fail("its header entry has no 'dtype'", name) }
        guard let dtypeText = dtypeValue.stringValue else {
            throw fail("'dtype' is \(dtypeValue.typeName) (\(dtypeValue.brief)); expected a string like \"F32\"", name)
        }
        guard let dtype = SafetensorsDType(rawValue: dtypeText) else {
            throw fail("unknown dtype \"\(CheckpointError.printable(dtypeText, limit: 40))\" (known: \(SafetensorsDType.allCases.map(\.rawValue).joined(separator: " ")))", name)
        }
        // shape
        guard let shapeValue = entry["shape"] else { throw fail("its header entry has no 'shape'", name) }
        guard let dims = shapeValue.arrayValue else {
            throw fail("'shape' is \(shapeValue.typeName) (\(shapeValue.brief)); expected an array of non-negative integers", name)
        }
        var shape: [Int] = []
        shape.reserveCapacity(dims.count)
        for (axis, dim) in dims.enumerated() {
            guard case .integer(let d) = dim, d >= 0 else {
                throw fail("shape[\(axis)] is \(dim.brief)\(tooLarge(dim)); dimensions must be non-negative integers", name)
            }
            shape.append(d)
        }
        // data_offsets
        guard let offsetsValue = entry["data_offsets"] else { throw fail("its header entry has no 'data_offsets'", name) }
        guard let offsets = offsetsValue.arrayValue, offsets.count == 2 else {
            throw fail("'data_offsets' is \(offsetsValue.brief); expected [begin, end]", name)
        }
        var bounds: [Int] = []
        for (i, offset) in offsets.enumerated() {
            guard case .integer(let o) = offset, o >= 0 else {
                throw fail("data_offsets[\(i)] is \(offset.brief)\(tooLarge(offset)); offsets must be non-negative integers", name)
            }
            bounds.append(o)
        }
        let (begin, end) = (bounds[0], bounds[1])
        guard begin <= end else {
            throw fail("data_offsets [\(begin), \(end)] are reversed (begin > end)", name)
        }
        // Size: elements × bits must fit, fill whole bytes, and equal the byte range. Zero dimensions are
        // counted as 1 in the overflow check so that every stride of the shape fits too.
        let shapeText = "[" + shape.map(String.init).joined(separator: ", ") + "]"
        var product = 1
        for d in shape {
            let (p, overflow) = product.multipliedReportingOverflow(by: max(d, 1))
            guard !overflow else { throw fail("shape \(shapeText) has more elements than fit in 64 bits", name) }
            product = p
        }
        let elements = shape.contains(0) ? 0 : product
        let (bits, bitsOverflow) = elements.multipliedReportingOverflow(by: dtype.bitWidth)
        guard !bitsOverflow else { throw fail("shape \(shapeText) of \(dtype.rawValue) is too large to address (overflow)", name) }
        guard bits % 8 == 0 else {
            throw fail("shape \(shapeText) of \(dtype.rawValue) is \(bits) bits, not a whole number of bytes", name)
        }
        guard end - begin == bits / 8 else {
            throw fail("shape \(shapeText) of \(dtype.rawValue) needs \(bits / 8) bytes but data_offsets [\(begin), \(end)] span \(end - begin)", name)
        }
        guard end <= dataSize else {
            throw fail("data_offsets [\(begin), \(end)] run past the end of the data (\(dataSize) bytes after the header): the file is truncated or the offsets are wrong", name)
        }
        return TensorInfo(name: name, dtype: dtype, shape: shape, byteRange: (dataStart + begin)..<(dataStart + end))
    }
}
