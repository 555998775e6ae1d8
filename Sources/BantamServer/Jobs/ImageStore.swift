import NIOConcurrencyHelpers

/// Where finished images' PNG files live. Names come from the server (`ImageRecord.fileName`), never
/// from requests.
public protocol ImageStore: Sendable {
    /// Writes the whole file so that it is either complete or absent.
    func write(_ png: [UInt8], name: String) throws
    func read(name: String) throws -> [UInt8]?
    func delete(name: String)
}

/// PNG files in one folder, written atomically (temporary file, fsync, rename).
public struct DiskImageStore: ImageStore {
    public let directory: String

    public init(directory: String) throws {
        self.directory = directory
        try Files.createDirectory(directory)
    }

    public func write(_ png: [UInt8], name: String) throws {
        try Files.writeAtomically(png, to: Files.join(directory, name))
    }

    public func read(name: String) throws -> [UInt8]? {
        try Files.read(Files.join(directory, name))
    }

    public func delete(name: String) {
        Files.remove(Files.join(directory, name))
    }
}

/// Images in memory (tests).
public final class MemoryImageStore: ImageStore {
    private let files = NIOLockedValueBox([String: [UInt8]]())
    public init() {}
    public func write(_ png: [UInt8], name: String) throws { files.withLockedValue { $0[name] = png } }
    public func read(name: String) throws -> [UInt8]? { files.withLockedValue { $0[name] } }
    public func delete(name: String) { files.withLockedValue { $0[name] = nil } }
    public var names: [String] { files.withLockedValue { $0.keys.sorted() } }
}
