import BantamCore

extension Tensor {
    /// Runs `body` with the tensor's row-major bytes in host memory. The host buffer is kept alive for the
    /// whole call (a buffer made for a temporary — a contiguous copy, a device download — would otherwise be
    /// free to go as soon as its pointer has been read).
    func withHostBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        let host = try hostBuffer()
        return try withExtendedLifetime(host) { try body(host.bytes) }
    }

    /// A copy of the tensor's bytes.
    func hostByteArray() throws -> [UInt8] { try withHostBytes { Array($0) } }
}
