import BantamJSON
import BantamCore

/// One .safetensors file, memory-mapped read-only; tensors are read lazily, one at a time.
///
/// Opening maps the file and validates the whole header against it (see `SafetensorsHeader`), so every
/// later access is in bounds. No tensor byte is read until asked for: `bytes(of:)` hands out a pointer
/// into the mapping and `tensor(_:on:)` wraps it (the CPU without copying when aligned; other backends
/// upload from it). Everything handed out keeps the mapping alive.
public final class SafetensorsFile: @unchecked Sendable {
    public let path: String
    public let fileSize: Int
    /// The header's `__metadata__` (empty when absent).
    public let metadata: [String: String]
    /// Every tensor, sorted by byte offset.
    public let tensors: [TensorInfo]
    /// N, the length of the JSON header (the data starts at byte 8 + N).
    public let headerLength: Int

    private let mapping: MappedFile
    /// The whole mapping as host memory, shared by every tensor made from this file.
    private let hostBuffer: HostBuffer?
    private let index: [ExactKey: Int]

    /// Maps and validates `path`; throws `CheckpointError` naming the file (and tensor) on any problem.
    public init(path: String) throws {
        let mapping = try MappedFile(path: path)
        let header = try SafetensorsHeader(bytes: mapping.bytes, file: path)
        self.path = path
        self.mapping = mapping
        self.fileSize = mapping.count
        self.metadata = header.metadata
        self.tensors = header.tensors
        self.headerLength = header.headerLength
        var index: [ExactKey: Int] = [:]
        index.reserveCapacity(header.tensors.count)
        for (i, info) in header.tensors.enumerated() { index[ExactKey(info.name)] = i }
        self.index = index
        if let base = mapping.bytes.baseAddress {
            // Read-only: ops never write borrowed memory and `HostBuffer.mutableBytes` refuses it.
            self.hostBuffer = HostBuffer(borrowing: UnsafeMutableRawPointer(mutating: base), byteCount: mapping.count,
                                         owner: mapping, writable: false)
        } else {
            self.hostBuffer = nil
        }
    }

    /// The whole file as mapped (valid while this object lives); tensors' `byteRange`s index into it.
    public var fileBytes: UnsafeRawBufferPointer { mapping.bytes }

    /// Tensor names in byte-offset order.
    public var tensorNames: [String] { tensors.map(\.name) }

    public subscript(name: String) -> TensorInfo? {
        index[ExactKey(name)].map { tensors[$0] }
    }

    /// The raw bytes of tensor `name` (inside the mapping, valid while the file object lives).
    public func bytes(of name: String) throws -> UnsafeRawBufferPointer {
        let info = try require(name)
        return UnsafeRawBufferPointer(rebasing: mapping.bytes[info.byteRange])
    }

    /// Tensor `name` on `backend`: a zero-copy view of the mapping on the CPU (a copy if misaligned for its
    /// dtype), an upload elsewhere. Throws when the dtype has no runtime equivalent (F4, C64, U32, ...).
    public func tensor(_ name: String, on backend: any Backend) throws -> Tensor {
        let info = try require(name)
        guard let dtype = info.dtype.runtime else {
            throw CheckpointError(file: path, tensor: name,
                                  reason: "dtype \(info.dtype.rawValue) has no Bantam runtime type; convert the checkpoint to a supported dtype (F32, F16, BF16, F8_E4M3, F8_E5M2, F64, integers, BOOL)")
        }
        guard let hostBuffer else {
            throw CheckpointError(file: path, tensor: name, reason: "the file has no data")
        }
        do {
            return try backend.makeTensor(host: hostBuffer, byteOffset: info.byteRange.lowerBound, dtype: dtype,
                                          shape: Shape(info.shape))
        } catch let error as CheckpointError {
            throw error
        } catch {
            throw CheckpointError(file: path, tensor: name, reason: "cannot load on \(backend.name): \(error)")
        }
    }

    /// The info of `name`, or an error naming the file and tensor.
    private func require(_ name: String) throws(CheckpointError) -> TensorInfo {
        guard let info = self[name] else {
            throw CheckpointError(file: path, tensor: name, reason: "no such tensor in this file (it holds \(tensors.count))")
        }
        return info
    }
}
