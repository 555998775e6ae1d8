import BantamCore

/// A copy of a tensor's row-major bytes. The host buffer is kept alive while it is copied (a temporary's
/// buffer could otherwise be released as soon as its pointer has been read).
public func hostBytes(_ t: Tensor) throws -> [UInt8] {
    let host = try t.hostBuffer()
    return withExtendedLifetime(host) { Array(host.bytes) }
}
