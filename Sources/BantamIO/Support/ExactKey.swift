/// A string compared and hashed by its exact UTF-8 bytes.
///
/// Swift's `String ==` uses Unicode canonical equivalence, so "é" (U+00E9) equals "e" + U+0301. Checkpoint
/// formats compare names byte for byte (the official safetensors reader is Rust, where they are distinct),
/// so name tables here key by bytes: two tensors whose names differ only in normalization stay two tensors.
struct ExactKey: Hashable, Sendable {
    let string: String

    init(_ string: String) { self.string = string }

    static func == (lhs: ExactKey, rhs: ExactKey) -> Bool {
        lhs.string.utf8.elementsEqual(rhs.string.utf8)
    }

    func hash(into hasher: inout Hasher) {
        var string = self.string
        string.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}

extension String {
    /// Orders by UTF-8 bytes (= Unicode code point order), as Rust's `str::cmp` does; the official writer
    /// sorts tensor names this way, and byte order is independent of normalization.
    func utf8Precedes(_ other: String) -> Bool {
        self.utf8.lexicographicallyPrecedes(other.utf8)
    }
}
