/// Name patterns and a lookup table over one component's tensors, for the detection rules.

/// A dotted tensor-name pattern. Segments match exactly, except:
/// - `#` matches one segment made of digits (a block index),
/// - `*` matches one or more segments.
///
/// `double_blocks.#.img_attn.*` matches `double_blocks.7.img_attn.qkv.weight`.
struct NamePattern: Sendable, Hashable, ExpressibleByStringLiteral, CustomStringConvertible {
    let segments: [Substring]

    init(_ text: String) { segments = text.split(separator: ".", omittingEmptySubsequences: false) }
    init(stringLiteral value: String) { self.init(value) }

    var description: String { segments.joined(separator: ".") }

    func matches(_ name: [Substring]) -> Bool { match(segments[...], name[...]) }

    private func match(_ pattern: ArraySlice<Substring>, _ name: ArraySlice<Substring>) -> Bool {
        guard let head = pattern.first else { return name.isEmpty }
        if head == "*" {
            // One or more segments: try every split point.
            var rest = name
            while !rest.isEmpty {
                rest = rest.dropFirst()
                if match(pattern.dropFirst(), rest) { return true }
            }
            return false
        }
        guard let segment = name.first else { return false }
        if head == "#" {
            guard !segment.isEmpty, segment.allSatisfy({ $0.isASCII && $0.isNumber }) else { return false }
        } else if head != segment {
            return false
        }
        return match(pattern.dropFirst(), name.dropFirst())
    }
}

/// One component's tensors (names without the component prefix), indexed for the rules.
struct TensorIndex: Sendable {
    let tensors: [TensorSignature]
    private let byName: [String: TensorSignature]
    private let split: [[Substring]]

    init(_ tensors: [TensorSignature]) {
        self.tensors = tensors
        var table: [String: TensorSignature] = [:]
        for t in tensors { table[t.name] = t }
        byName = table
        split = tensors.map { $0.name.split(separator: ".", omittingEmptySubsequences: false) }
    }

    var count: Int { tensors.count }

    subscript(name: String) -> TensorSignature? { byName[name] }

    func has(_ name: String) -> Bool { byName[name] != nil }

    /// Whether any tensor matches the pattern.
    func any(_ pattern: NamePattern) -> Bool { split.contains { pattern.matches($0) } }

    /// The first tensor (in file order) that matches the pattern.
    func first(_ pattern: NamePattern) -> TensorSignature? {
        for (i, parts) in split.enumerated() where pattern.matches(parts) { return tensors[i] }
        return nil
    }

    /// Size of `axis` of a tensor, unless the tensor is bitsandbytes-packed (U8 codes keep no shape).
    func dim(_ name: String, _ axis: Int) -> Int? {
        guard let t = byName[name] else { return nil }
        return Self.dim(of: t, axis)
    }

    /// Size of `axis` of the first tensor matching the pattern (packed tensors skipped).
    func dim(matching pattern: NamePattern, _ axis: Int) -> Int? {
        for (i, parts) in split.enumerated() where pattern.matches(parts) {
            if let d = Self.dim(of: tensors[i], axis) { return d }
        }
        return nil
    }

    /// Rank of a tensor.
    func rank(_ name: String) -> Int? { byName[name]?.shape.count }

    private static func dim(of t: TensorSignature, _ axis: Int) -> Int? {
        guard t.dtype != "U8", axis < t.shape.count else { return nil }
        return t.shape[axis]
    }

    /// The highest N + 1 over names "`prefix`.N.…" (the depth of a block stack), nil when none.
    /// For one shard of a sharded model this is a lower bound.
    func blockCount(_ prefix: String) -> Int? {
        let head = prefix + "."
        var highest = -1
        for t in tensors where t.name.hasPrefix(head) {
            let rest = t.name.dropFirst(head.count)
            guard let dot = rest.firstIndex(of: "."), let n = Int(rest[..<dot]) else { continue }
            highest = max(highest, n)
        }
        return highest >= 0 ? highest + 1 : nil
    }
}
