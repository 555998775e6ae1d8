/// A trie over UTF-8 byte strings (vocabulary pieces → ids) for the unigram lattice: at each position the
/// encoder needs every piece that starts there. Nodes are numbered; an edge is a dictionary entry keyed by
/// (node, byte), which keeps construction trivial and a 32k-piece vocabulary in a few MB.
struct ByteTrie: Sendable {
    private var edges: [UInt64: Int32] = [:]
    /// The id stored at each node (-1: no key ends there).
    private var values: [Int32] = [-1]

    init() {}

    /// Stores `value` for `key`; a key inserted twice keeps the later value (as a Rust HashMap insert does).
    mutating func insert(_ key: [UInt8], value: Int) {
        var node: Int32 = 0
        for byte in key {
            let edge = UInt64(UInt32(bitPattern: node)) << 8 | UInt64(byte)
            if let next = edges[edge] {
                node = next
            } else {
                let next = Int32(values.count)
                values.append(-1)
                edges[edge] = next
                node = next
            }
        }
        values[Int(node)] = Int32(value)
    }

    /// Calls `visit(length, value)` for each key that is a prefix of `text[start..<end]`, shortest first.
    @inline(__always)
    func forEachPrefix(of text: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int,
                       _ visit: (_ length: Int, _ value: Int) -> Void) {
        var node: Int32 = 0
        var i = start
        while i < end {
            guard let next = edges[UInt64(UInt32(bitPattern: node)) << 8 | UInt64(text[i])] else { return }
            node = next
            i += 1
            let value = values[Int(node)]
            if value >= 0 { visit(i - start, Int(value)) }
        }
    }

    /// The value stored for exactly `key`, if any.
    func value(for key: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> Int? {
        var node: Int32 = 0
        for i in start..<end {
            guard let next = edges[UInt64(UInt32(bitPattern: node)) << 8 | UInt64(key[i])] else { return nil }
            node = next
        }
        let value = values[Int(node)]
        return value >= 0 ? Int(value) : nil
    }

    /// The length of the longest key that is a prefix of `text[start..<end]`, or nil.
    func longestPrefix(of text: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> Int? {
        var longest: Int? = nil
        forEachPrefix(of: text, from: start, to: end) { length, _ in longest = length }
        return longest
    }
}
