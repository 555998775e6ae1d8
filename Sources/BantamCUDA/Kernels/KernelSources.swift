/// One CUDA source file embedded in the binary at build time (by the EmbedKernelSources plugin).
public struct KernelSourceFile: Sendable, Hashable {
    /// File name inside Sources/BantamCUDA/Kernels/cuda, e.g. "copy.cu".
    public let name: String
    /// The file's text, byte for byte.
    public let text: String

    public init(name: String, text: String) {
        self.name = name
        self.text = text
    }
}

/// The kernel sources of the CUDA backend: one `.cu` file per op family (copy.cu, fill.cu, ...) plus the
/// common header `common.cuh`, which is prepended to every family before NVRTC compiles it.
public enum KernelSources {
    /// Every embedded file (.cu and .cuh), sorted by name.
    public static var all: [KernelSourceFile] { embedded }

    /// The header prepended to every family.
    public static let commonHeaderName = "common.cuh"

    /// Family names: the `.cu` files without their extension ("copy", "fill", ...), sorted.
    public static var families: [String] {
        embedded.filter { $0.name.hasSuffix(".cu") }.map { String($0.name.dropLast(3)) }
    }

    /// The embedded file named `name`, if any.
    public static func file(named name: String) -> KernelSourceFile? {
        embedded.first { $0.name == name }
    }

    /// The full program NVRTC compiles for `family`: the common header, then the family's file. `#line`
    /// directives make compiler messages name the right file and line.
    public static func program(family: String) -> String? {
        guard let source = file(named: family + ".cu"), let header = file(named: commonHeaderName) else { return nil }
        return "#line 1 \"\(commonHeaderName)\"\n" + header.text + "\n#line 1 \"\(source.name)\"\n" + source.text
    }

    /// 64-bit FNV-1a of the UTF-8 bytes: a stable content hash (the same on every machine and run) that keys
    /// the compiled-kernel caches.
    public static func hash(_ text: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            h ^= UInt64(byte)
            h = h &* 0x0000_0100_0000_01b3
        }
        return h
    }

    /// 16 lowercase hex digits.
    public static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
