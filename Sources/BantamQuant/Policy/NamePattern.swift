/// A layer-name pattern of a precision policy: `*` matches any run of characters (dots included), `?` one
/// character, anything else itself. Patterns match whole names: `final_layer.*` matches
/// `final_layer.linear` and `final_layer.adaLN_modulation.1`, `img_in` only `img_in`.
public struct NamePattern: Hashable, Sendable, CustomStringConvertible {
    public let text: String
    private let characters: [Character]

    public init(_ text: String) {
        self.text = text
        self.characters = Array(text)
    }

    public var description: String { text }

    public func matches(_ name: String) -> Bool {
        let s = Array(name), p = characters
        // Iterative wildcard matching with one backtrack point (the last `*`).
        var (i, j) = (0, 0)
        var star = -1, mark = 0
        while i < s.count {
            if j < p.count && (p[j] == "?" || p[j] == s[i]) {
                i += 1; j += 1
            } else if j < p.count && p[j] == "*" {
                star = j; mark = i; j += 1
            } else if star >= 0 {
                j = star + 1; mark += 1; i = mark
            } else {
                return false
            }
        }
        while j < p.count && p[j] == "*" { j += 1 }
        return j == p.count
    }
}
