import BantamCore

/// Shape questions the text encoders' `infer(from:)` ask of a checkpoint.
enum TextEncoderShapes {
    /// How many numbered blocks `prefix` holds: one more than the largest N of the keys
    /// `prefix` + "N." + …, so a gap shows up later as missing tensors, by name.
    static func blockCount(in source: any TensorSource, prefix: String) -> Int {
        var count = 0
        for key in source.keys where key.hasPrefix(prefix) {
            let rest = key.dropFirst(prefix.count)
            guard let dot = rest.firstIndex(of: "."), let n = Int(rest[..<dot]), n >= 0 else { continue }
            count = max(count, n + 1)
        }
        return count
    }
}
