/// Shared fixture files under Tests/Fixtures (golden outputs of reference libraries, tiny checkpoints).
public enum Fixtures {
    /// Absolute path of Tests/Fixtures, found from this source file's location.
    public static let root: String = {
        var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(2)   // BantamTestSupport/Fixtures.swift
        return parts.joined(separator: "/") + "/Fixtures"
    }()

    /// Absolute path of a file or folder under Tests/Fixtures.
    public static func path(_ relative: String) -> String { root + "/" + relative }

    /// The tiny FLUX.1 fixtures made by scripts/goldens/flux_tiny_goldens.py.
    public static func fluxTiny(_ relative: String) -> String { path("flux-tiny/" + relative) }
}
