import NIOConcurrencyHelpers

/// A model the server can offer: one file or folder under `--models`.
public struct ModelEntry: Sendable, Equatable {
    /// The file or folder name; what requests name the model by.
    public let id: String
    public let path: String
    /// What detection found ("FLUX.1-dev transformer, diffusers layout, ...").
    public let summary: String
    /// Why it cannot be used, one line with what to do; nil when it can.
    public let problem: String?
    /// FLUX.1-dev-like (takes a guidance value); schnell-like otherwise.
    public let guidanceDistilled: Bool
    /// Steps the model is made for (28 dev, 4 schnell), to suggest in the console.
    public let suggestedSteps: Int

    public init(id: String, path: String, summary: String, problem: String? = nil, guidanceDistilled: Bool = true,
                suggestedSteps: Int = 20) {
        self.id = id
        self.path = path
        self.summary = summary
        self.problem = problem
        self.guidanceDistilled = guidanceDistilled
        self.suggestedSteps = suggestedSteps
    }

    public var usable: Bool { problem == nil }

    public var json: JSONOut {
        ["id": .string(id), "name": .string(id), "summary": .string(summary), "usable": .bool(usable),
         "problem": .optional(problem), "guidance_distilled": .bool(guidanceDistilled),
         "suggested_steps": .int(suggestedSteps)]
    }
}

/// The models on offer. `DirectoryModelCatalog` scans `--models`; tests use `FixedModelCatalog`.
public protocol ModelCatalog: Sendable {
    /// The folder models are read from (shown to users so they know where to put files), if any.
    var directory: String? { get }
    /// The entries, sorted by id; `refresh` rescans now instead of using a recent scan.
    func models(refresh: Bool) -> [ModelEntry]
}

extension ModelCatalog {
    public func entry(_ id: String) -> ModelEntry? { models(refresh: false).first { $0.id == id } }
    /// The first usable model.
    public var firstUsable: ModelEntry? { models(refresh: false).first { $0.usable } }

    /// What the console shows when no model can be used.
    public var helpWhenEmpty: String {
        let folder = directory ?? "the models folder"
        return "No usable model in \(folder). Put a FLUX.1 model there — a diffusers folder (transformer/, "
            + "text_encoder/, text_encoder_2/, vae/, tokenizer/, tokenizer_2/) or a ComfyUI all-in-one "
            + ".safetensors file — then press Refresh. Start the server with --models DIR to use another folder."
    }
}

/// A fixed list (tests).
public struct FixedModelCatalog: ModelCatalog {
    public let entries: [ModelEntry]
    public let directory: String?
    public init(_ entries: [ModelEntry], directory: String? = nil) {
        self.entries = entries
        self.directory = directory
    }
    public func models(refresh: Bool) -> [ModelEntry] { entries }
}

/// The files and folders directly under a folder, each inspected once (and again when its modification
/// time changes). Hidden names and files that are not safetensors are skipped.
public final class DirectoryModelCatalog: ModelCatalog {
    public let directory: String?
    private let inspect: @Sendable (_ id: String, _ path: String) -> ModelEntry
    private let state = NIOLockedValueBox(State())
    /// A listing younger than this is reused when `refresh` is false.
    private let maxAge: Double

    private struct State {
        var scannedAt: Double = -1
        var entries: [ModelEntry] = []
        var cache: [String: (mtime: Double, entry: ModelEntry)] = [:]
    }

    public init(directory: String, maxAge: Double = 5, inspect: @escaping @Sendable (_ id: String, _ path: String) -> ModelEntry) {
        self.directory = directory
        self.maxAge = maxAge
        self.inspect = inspect
    }

    public func models(refresh: Bool) -> [ModelEntry] {
        let now = WallClock.now()
        if !refresh, let recent = state.withLockedValue({ now - $0.scannedAt < maxAge ? $0.entries : nil }) {
            return recent
        }
        guard let directory, let names = Files.list(directory) else {
            state.withLockedValue { $0.scannedAt = now; $0.entries = [] }
            return []
        }
        var entries: [ModelEntry] = []
        let cache = state.withLockedValue { $0.cache }
        var newCache: [String: (mtime: Double, entry: ModelEntry)] = [:]
        for name in names where !name.hasPrefix(".") {
            let path = Files.join(directory, name)
            let kind = Files.kind(of: path)
            guard kind == .directory || (kind == .file && name.hasSuffix(".safetensors")) else { continue }
            let mtime = Files.modificationTime(path)
            let entry = cache[name].flatMap { $0.mtime == mtime ? $0.entry : nil } ?? inspect(name, path)
            newCache[name] = (mtime, entry)
            entries.append(entry)
        }
        state.withLockedValue { $0 = State(scannedAt: now, entries: entries, cache: newCache) }
        return entries
    }
}
