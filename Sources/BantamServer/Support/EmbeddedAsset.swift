/// A file of the console compiled into the binary: its bytes and how to serve them. The table
/// `EmbeddedAssets.files` is generated at build time by the EmbedAssets plugin from
/// Sources/BantamServer/Assets, so the single `bantam` binary serves the console with no files beside it.
public struct EmbeddedAsset: Sendable {
    public let contentType: String
    public let bytes: [UInt8]
    /// A strong validator: FNV-1a of the content.
    public let etag: String

    public init(contentType: String, text: String) {
        self.contentType = contentType
        bytes = Array(text.utf8)
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { hash = (hash ^ UInt64(b)) &* 0x100_0000_01b3 }
        etag = "\"\(String(hash, radix: 16))\""
    }

    public var text: String { String(decoding: bytes, as: UTF8.self) }
}

/// Read access for tests and tools (the generated table is internal).
public enum ConsoleAssets {
    public static var names: [String] { EmbeddedAssets.files.keys.sorted() }
    public static func asset(_ name: String) -> EmbeddedAsset? { EmbeddedAssets.files[name] }
}
