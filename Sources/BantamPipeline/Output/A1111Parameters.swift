import BantamJSON

/// The "parameters" text that AUTOMATIC1111's and Forge's web UIs store in a PNG and read back in their
/// "PNG Info" tab (`create_infotext` / `parse_generation_parameters` in their `processing.py` and
/// `infotext_utils.py`):
///
///     <prompt>
///     Negative prompt: <negative prompt>          (only when there is one)
///     Steps: 20, Sampler: Euler, Schedule type: Simple, CFG scale: 1, Distilled CFG Scale: 3.5, Seed: 42, Size: 1024x1024, Model: flux1-dev
///
/// The last line is `key: value` pairs joined by ", "; a value containing ',', ':' or a newline is written
/// as a JSON string (their `quote`), and parsers take the last line as parameters when it holds at least
/// three pairs. Forge writes FLUX's guidance as "Distilled CFG Scale" and the real (two-pass) CFG as
/// "CFG scale" (1 when off).
public struct A1111Parameters: Sendable, Equatable {
    public var prompt: String
    public var negativePrompt: String
    /// The parameter line's pairs, in order.
    public var pairs: [(key: String, value: String)]

    public init(prompt: String, negativePrompt: String = "", pairs: [(key: String, value: String)]) {
        self.prompt = prompt
        self.negativePrompt = negativePrompt
        self.pairs = pairs
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.prompt == b.prompt && a.negativePrompt == b.negativePrompt &&
            a.pairs.map(\.key) == b.pairs.map(\.key) && a.pairs.map(\.value) == b.pairs.map(\.value)
    }

    /// The text as the web UIs write it (leading and trailing whitespace of the whole text removed, as
    /// their `.strip()` does).
    public var text: String {
        let line = pairs.map { $0.key == $0.value ? $0.key : "\($0.key): \(Self.quote($0.value))" }.joined(separator: ", ")
        let negative = negativePrompt.isEmpty ? "" : "\nNegative prompt: \(negativePrompt)"
        return "\(prompt)\(negative)\n\(line)".trimmingWhitespace()
    }

    /// A value as the parameter line needs it: as is, or as a JSON string when it holds ',', ':' or '\n'.
    public static func quote(_ value: String) -> String {
        guard value.contains(where: { $0 == "," || $0 == ":" || $0 == "\n" }) else { return value }
        var writer = JSONWriter()
        writer.string(value)
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    /// A number as the web UIs show it: integers without a fraction ("1", "20"), others in the shortest
    /// form that reads back to the same float ("3.5", "0.25").
    public static func number(_ value: Float) -> String {
        if value.isFinite && value == value.rounded() && abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}

extension String {
    /// Without leading and trailing spaces, tabs, newlines (Python's `str.strip()` for ASCII whitespace).
    func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\u{0B}" || $0 == "\u{0C}" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
