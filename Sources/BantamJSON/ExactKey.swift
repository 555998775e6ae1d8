#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A string compared and hashed by its exact UTF-8 bytes.
///
/// Swift's `String ==` uses Unicode canonical equivalence, so "é" (U+00E9) equals "e" + U+0301. Checkpoint
/// formats compare names byte for byte (the official safetensors reader is Rust, where they are distinct),
/// so name tables here key by bytes: two tensors whose names differ only in normalization stay two tensors.
public struct ExactKey: Hashable, Sendable {
    public let string: String

    public init(_ string: String) { self.string = string }

    public static func == (lhs: ExactKey, rhs: ExactKey) -> Bool {
        compareUTF8(lhs.string, rhs.string) == 0
    }

    public func hash(into hasher: inout Hasher) {
        var string = self.string
        string.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}

extension String {
    /// Orders by UTF-8 bytes (= Unicode code point order), as Rust's `str::cmp` does; the official writer
    /// sorts tensor names this way, and byte order is independent of normalization.
    public func utf8Precedes(_ other: String) -> Bool {
        compareUTF8(self, other) < 0
    }
}

/// memcmp-style comparison of two strings' UTF-8 bytes (negative, zero, positive). Native strings are
/// compared in place; the generic sequence comparison is ~10× slower and showed in 100k-tensor profiles.
public func compareUTF8(_ a: String, _ b: String) -> Int {
    let result = a.utf8.withContiguousStorageIfAvailable { x in
        b.utf8.withContiguousStorageIfAvailable { y -> Int in
            let common = min(x.count, y.count)
            if common > 0 {
                let c = Int(memcmp(x.baseAddress!, y.baseAddress!, common))
                if c != 0 { return c }
            }
            return x.count - y.count
        }
    }
    if let result = result ?? nil { return result }
    // Bridged or otherwise non-contiguous strings: compare element by element.
    if a.utf8.elementsEqual(b.utf8) { return 0 }
    return a.utf8.lexicographicallyPrecedes(b.utf8) ? -1 : 1
}
