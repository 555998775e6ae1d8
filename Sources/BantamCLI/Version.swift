/// The version of Bantam, defined once: `bantam --version` prints "bantam <current>", and `inspect --json`
/// records it.
public enum BantamVersion {
    public static let current = "0.1.0"
}
