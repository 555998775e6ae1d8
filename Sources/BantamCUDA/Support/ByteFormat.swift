/// Byte counts and figures for messages, without Foundation.
public enum ByteFormat {
    /// 1610612736 -> "1.50 GiB"; small sizes in B / KiB / MiB.
    public static func bytes(_ n: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(n.magnitude), unit = 0
        while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
        let sign = n < 0 ? "-" : ""
        return unit == 0 ? "\(n) B" : "\(sign)\(fixed(value, 2)) \(units[unit])"
    }

    /// `x` with `places` decimals: fixed(3.14159, 2) -> "3.14".
    public static func fixed(_ x: Double, _ places: Int) -> String {
        guard x.isFinite else { return String(describing: x) }
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let scaled = (abs(x) * scale).rounded()
        guard scaled < 9e18 else { return String(describing: x) }
        let whole = Int(scaled) / Int(scale), fraction = Int(scaled) % Int(scale)
        var text = String(whole)
        if places > 0 {
            let f = String(fraction)
            text += "." + String(repeating: "0", count: places - f.count) + f
        }
        return (x < 0 && scaled > 0 ? "-" : "") + text
    }
}
