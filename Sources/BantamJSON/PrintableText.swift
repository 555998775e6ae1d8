/// Text made safe for one-line messages: control characters escaped, long text cut.
public enum PrintableText {
    /// `text` with control characters as `\u{..}` and at most `limit` scalars (then "…").
    public static func make(_ text: String, limit: Int = 200) -> String {
        var out = ""
        for (index, scalar) in text.unicodeScalars.enumerated() {
            if index == limit {
                out += "…"
                break
            }
            if scalar.value < 0x20 || scalar.value == 0x7F {
                out += "\\u{" + String(scalar.value, radix: 16) + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
