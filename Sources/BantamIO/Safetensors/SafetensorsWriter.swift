import BantamCore
import BantamJSON

/// One tensor to write: its name, dtype, shape and a closure that produces its bytes on demand.
///
/// The closure receives a zeroed buffer of exactly the tensor's byte size (row-major, little-endian) and
/// fills it; it runs when the writer reaches this tensor, so a whole model never needs to sit in memory.
public struct SafetensorsEntry {
    public let name: String
    public let dtype: SafetensorsDType
    public let shape: [Int]
    let write: (UnsafeMutableRawBufferPointer) throws -> Void

    public init(name: String, dtype: SafetensorsDType, shape: [Int],
                write: @escaping (UnsafeMutableRawBufferPointer) throws -> Void) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.write = write
    }

    /// An entry for a runtime tensor (any backend, any strides: it is made contiguous on the host when
    /// written). Throws for dtypes safetensors cannot store (packed `u4`).
    public init(name: String, tensor: Tensor) throws {
        guard let dtype = SafetensorsDType(runtime: tensor.dtype) else {
            throw TensorError.dtypeMismatch(op: "SafetensorsEntry",
                                            detail: "tensor '\(name)' has dtype \(tensor.dtype), which safetensors cannot store; cast it first")
        }
        self.init(name: name, dtype: dtype, shape: tensor.shape.dims) { buffer in
            let host = try tensor.hostBuffer()
            guard host.byteCount >= buffer.count else {
                throw TensorError.invalidArgument("tensor '\(name)': \(host.byteCount) bytes on the host for \(buffer.count) expected")
            }
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: host.bytes[0..<buffer.count]))
        }
    }
}

/// Writes .safetensors files laid out exactly as the official library (huggingface/safetensors tensor.rs
/// `prepare`) lays them out, so the bytes are identical for the same tensors and metadata:
/// - tensors sorted by descending dtype (the official `Dtype` enum order, i.e. by alignment: 8-byte types
///   first, BOOL last), then by name in byte order;
/// - header `{"__metadata__":{...},"name":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},...}` in
///   compact serde_json form, `__metadata__` left out when there is none (as `save_file(..., metadata=None)`);
/// - header padded with spaces to a multiple of 8 bytes, data contiguous right after it.
/// One difference that cannot be matched: the official writer emits `__metadata__` keys in Rust HashMap
/// order, which is random per process; here they are sorted by bytes (deterministic).
///
/// The file is written to `path + ".partial"`, synced and renamed into place, so a failure (or a crash)
/// never leaves a half-written file at `path`.
public enum SafetensorsWriter {
    public static func write(to path: String, entries: [SafetensorsEntry], metadata: [String: String] = [:]) throws {
        // Validate every entry and compute its size before creating anything.
        var seen = Set<ExactKey>()
        var sizes: [Int] = []
        for entry in entries {
            guard entry.name != "__metadata__" else {
                throw CheckpointError(file: path, tensor: entry.name, reason: "this name is reserved for the header's metadata")
            }
            guard seen.insert(ExactKey(entry.name)).inserted else {
                throw CheckpointError(file: path, tensor: entry.name, reason: "appears twice in the tensors to write; names must be unique")
            }
            sizes.append(try byteCount(of: entry, file: path))
        }
        let order = entries.indices.sorted { a, b in
            let (x, y) = (entries[a], entries[b])
            if x.dtype != y.dtype { return x.dtype.officialOrder > y.dtype.officialOrder }
            return x.name.utf8Precedes(y.name)
        }

        // Header JSON, then the space padding to a multiple of 8.
        var json = JSONWriter(capacity: 64 + 96 * entries.count)
        json.byte(UInt8(ascii: "{"))
        var first = true
        if !metadata.isEmpty {
            json.raw("\"__metadata__\":{")
            for (i, key) in metadata.keys.sorted(by: { $0.utf8Precedes($1) }).enumerated() {
                if i > 0 { json.byte(UInt8(ascii: ",")) }
                json.string(key)
                json.byte(UInt8(ascii: ":"))
                json.string(metadata[key]!)
            }
            json.byte(UInt8(ascii: "}"))
            first = false
        }
        var offset = 0
        for i in order {
            let entry = entries[i]
            if !first { json.byte(UInt8(ascii: ",")) }
            first = false
            json.string(entry.name)
            json.raw(":{\"dtype\":")
            json.string(entry.dtype.rawValue)
            json.raw(",\"shape\":[")
            for (axis, d) in entry.shape.enumerated() {
                if axis > 0 { json.byte(UInt8(ascii: ",")) }
                json.integer(d)
            }
            json.raw("],\"data_offsets\":[")
            json.integer(offset)
            json.byte(UInt8(ascii: ","))
            offset += sizes[i]
            json.integer(offset)
            json.raw("]}")
        }
        json.byte(UInt8(ascii: "}"))
        var header = json.bytes
        while header.count % 8 != 0 { header.append(UInt8(ascii: " ")) }
        guard header.count <= SafetensorsHeader.maxHeaderLength else {
            throw CheckpointError(file: path, reason: "the header would be \(header.count) bytes, above the 100000000-byte limit of the format (too many tensors or too much metadata)")
        }

        var output = try FileOutput(path: path)
        var currentTensor: String? = nil
        do {
            // The 8-byte little-endian header length, then the header.
            var prefix = [UInt8](repeating: 0, count: 8)
            for k in 0..<8 { prefix[k] = UInt8(truncatingIfNeeded: UInt64(header.count) >> (8 * UInt64(k))) }
            prefix += header
            try prefix.withUnsafeBytes { try output.write($0) }
            // One scratch buffer, grown to the largest tensor, reused for every entry.
            var scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 0, alignment: 64)
            defer { scratch.deallocate() }
            for i in order {
                let entry = entries[i]
                currentTensor = entry.name
                if scratch.count < sizes[i] {
                    scratch.deallocate()
                    scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: sizes[i], alignment: 64)
                }
                let buffer = UnsafeMutableRawBufferPointer(rebasing: scratch[0..<sizes[i]])
                buffer.initializeMemory(as: UInt8.self, repeating: 0)
                try entry.write(buffer)
                try output.write(UnsafeRawBufferPointer(buffer))
            }
            currentTensor = nil
            try output.commit()
        } catch let error as CheckpointError {
            output.abandon()
            throw error
        } catch {
            output.abandon()
            throw CheckpointError(file: path, tensor: currentTensor, reason: "producing the tensor's bytes failed: \(error)")
        }
    }

    /// Writes runtime tensors (see `SafetensorsEntry(name:tensor:)`).
    public static func write(to path: String, tensors: [(String, Tensor)], metadata: [String: String] = [:]) throws {
        let entries = try tensors.map { try SafetensorsEntry(name: $0.0, tensor: $0.1) }
        try write(to: path, entries: entries, metadata: metadata)
    }

    /// Bytes of an entry: elements × bits / 8, refusing negative dimensions, overflow and partial bytes.
    /// Zero dimensions count as 1 in the overflow check, as in the reader, so every file written reads back.
    private static func byteCount(of entry: SafetensorsEntry, file: String) throws(CheckpointError) -> Int {
        var product = 1
        for d in entry.shape {
            guard d >= 0 else {
                throw CheckpointError(file: file, tensor: entry.name, reason: "shape \(entry.shape) has a negative dimension")
            }
            let (p, overflow) = product.multipliedReportingOverflow(by: max(d, 1))
            guard !overflow else { throw CheckpointError(file: file, tensor: entry.name, reason: "shape \(entry.shape) has more elements than fit in 64 bits") }
            product = p
        }
        let elements = entry.shape.contains(0) ? 0 : product
        let (bits, overflow) = elements.multipliedReportingOverflow(by: entry.dtype.bitWidth)
        guard !overflow, bits % 8 == 0 else {
            throw CheckpointError(file: file, tensor: entry.name,
                                  reason: "shape \(entry.shape) of \(entry.dtype.rawValue) is not a whole number of bytes")
        }
        return bits / 8
    }
}
