/// A read-only darts-clone double-array trie (the format SentencePiece stores its normalization rules in),
/// written from the format's description: an array of little-endian 32-bit units, each holding
///   - bit 8: `has_leaf` (a key ends here; its value is in the unit at `offset`),
///   - bits 0–7 plus bit 31: the label (a leaf unit has bit 31 set, so it never matches a byte),
///   - bits 10–31: the offset to the children, shifted left by 8 more bits when bit 9 is set,
///   - for a leaf unit, bits 0–30: the value.
/// Walking byte `b` from node `p`: `p ^= offset(unit[p])`, then `p ^= b`, and the unit there must carry
/// label `b`. Every index is bounds-checked, so a corrupt table ends a search instead of crashing.
struct DoubleArrayTrie: Sendable {
    let units: [UInt32]

    @inline(__always) private static func hasLeaf(_ unit: UInt32) -> Bool { (unit >> 8) & 1 == 1 }
    @inline(__always) private static func value(_ unit: UInt32) -> Int { Int(unit & 0x7FFF_FFFF) }
    @inline(__always) private static func label(_ unit: UInt32) -> UInt32 { unit & (0x8000_0000 | 0xFF) }
    @inline(__always) private static func offset(_ unit: UInt32) -> Int {
        Int((unit >> 10) << ((unit & (1 << 9)) >> 6))
    }

    /// Calls `visit(length, value)` for every key that is a prefix of `key[start..<end]`, shortest first,
    /// until `visit` returns false. A NUL byte ends the search (keys never contain one).
    func forEachPrefix(of key: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int,
                       _ visit: (_ length: Int, _ value: Int) -> Bool) {
        guard !units.isEmpty else { return }
        var node = Self.offset(units[0])
        var i = start
        while i < end {
            let byte = key[i]
            if byte == 0 { return }
            node ^= Int(byte)
            guard node < units.count else { return }
            let unit = units[node]
            guard Self.label(unit) == UInt32(byte) else { return }
            node ^= Self.offset(unit)
            if Self.hasLeaf(unit) {
                guard node < units.count else { return }
                if !visit(i + 1 - start, Self.value(units[node])) { return }
            }
            i += 1
        }
    }
}
