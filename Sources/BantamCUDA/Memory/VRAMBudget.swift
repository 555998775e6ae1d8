import BantamCore

/// A device-memory budget as users write it: `--vram 8G` (8 GiB), `--vram 512M`, `--vram -1G` (all but
/// 1 GiB of the GPU's memory), `--vram 90%`. Units are binary (K = 1024 bytes) and case-insensitive, with
/// an optional "B" or "iB" (8G = 8GB = 8GiB); a plain number is bytes; decimals are allowed (1.5G).
public enum VRAMBudget: Sendable, Equatable, CustomStringConvertible {
    /// A fixed number of bytes.
    case bytes(Int)
    /// The GPU's total memory minus this many bytes.
    case allBut(Int)
    /// A percentage (0 < p <= 100) of the GPU's total memory.
    case percent(Double)

    /// Parses `text`; throws one line naming the text and the accepted forms.
    public static func parse(_ text: String) throws -> VRAMBudget {
        let trimmed = String(text.drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
        func invalid() -> TensorError {
            TensorError.invalidArgument("--vram '\(text)' is not a size: use a size like 8G, 512M, 1.5G, -1G (all but 1 GiB) or 90%")
        }
        guard !trimmed.isEmpty else { throw invalid() }
        if trimmed.hasSuffix("%") {
            guard let p = Double(trimmed.dropLast()), p > 0, p <= 100 else {
                throw TensorError.invalidArgument("--vram '\(text)': a percentage must be above 0 and at most 100")
            }
            return .percent(p)
        }
        let negative = trimmed.hasPrefix("-")
        var body = Substring(negative ? String(trimmed.dropFirst()) : trimmed)
        let numberPart = body.prefix { $0.isNumber || $0 == "." }
        body = body.dropFirst(numberPart.count)
        guard !numberPart.isEmpty, let number = Double(numberPart), number.isFinite else { throw invalid() }
        var unit = body.lowercased()
        if unit.hasSuffix("ib") { unit.removeLast(2) } else if unit.hasSuffix("b") && unit.count == 2 { unit.removeLast() }
        let scale: Double
        switch unit {
        case "", "b": scale = 1
        case "k": scale = 1024
        case "m": scale = 1024 * 1024
        case "g": scale = 1024 * 1024 * 1024
        case "t": scale = 1024 * 1024 * 1024 * 1024
        default: throw invalid()
        }
        let value = number * scale
        guard value >= 1, value < 9e18 else {
            throw TensorError.invalidArgument("--vram '\(text)': the size must be at least 1 byte")
        }
        let bytes = Int(value.rounded())
        return negative ? .allBut(bytes) : .bytes(bytes)
    }

    /// The budget in bytes for a GPU with `totalBytes` of memory; throws when it does not fit that GPU.
    public func resolve(totalBytes: Int) throws -> Int {
        switch self {
        case .bytes(let n):
            guard n <= totalBytes else {
                throw TensorError.invalidArgument("--vram \(ByteFormat.bytes(n)) is more than the GPU's \(ByteFormat.bytes(totalBytes)); use a smaller size or -N to leave N free")
            }
            return n
        case .allBut(let n):
            guard n < totalBytes else {
                throw TensorError.invalidArgument("--vram -\(ByteFormat.bytes(n)) leaves nothing of the GPU's \(ByteFormat.bytes(totalBytes))")
            }
            return totalBytes - n
        case .percent(let p):
            return Int(Double(totalBytes) * p / 100)
        }
    }

    public var description: String {
        switch self {
        case .bytes(let n): return ByteFormat.bytes(n)
        case .allBut(let n): return "all but \(ByteFormat.bytes(n))"
        case .percent(let p): return "\(ByteFormat.fixed(p, p == p.rounded() ? 0 : 1))%"
        }
    }
}
