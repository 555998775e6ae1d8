/// Identifiers that cannot be guessed from one another (job ids, the A1111 task ids): 16 lowercase hex
/// digits from the system's random source.
public enum RandomID {
    public static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        let value = generator.next() as UInt64
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// Whether `text` has the shape `make()` produces; other ids are refused before any lookup.
    public static func isWellFormed(_ text: String) -> Bool {
        text.utf8.count == 16 && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }
}
