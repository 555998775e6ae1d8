import NIOConcurrencyHelpers

/// Settings clients may change at run time (A1111's `/sdapi/v1/options`).
public final class ServerSettings: Sendable {
    private let model = NIOLockedValueBox<String?>(nil)
    public init(defaultModel: String? = nil) { model.withLockedValue { $0 = defaultModel } }
    /// The model used when a request names none.
    public var defaultModel: String? {
        get { model.withLockedValue { $0 } }
        set { model.withLockedValue { $0 = newValue } }
    }
}

/// Everything the routes use. The server builds the real ones (`ServeCommand`); tests put fakes in.
public struct ServerServices: Sendable {
    public let jobs: JobManager
    public let catalog: any ModelCatalog
    public let system: any SystemMonitor
    public let settings: ServerSettings

    public init(jobs: JobManager, system: any SystemMonitor, settings: ServerSettings = ServerSettings()) {
        self.jobs = jobs
        self.catalog = jobs.catalog
        self.system = system
        self.settings = settings
    }

    public var events: EventHub { jobs.events }
}
