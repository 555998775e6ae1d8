import Hummingbird

/// Health, models and resources.
struct SystemRoutes {
    let configuration: ServerConfiguration
    let services: ServerServices

    func register(on router: Router<BantamRequestContext>) {
        let services = services, version = configuration.version
        router.get("/api/v1/health") { _, _ in
            Reply.json(["status": "ok", "version": .string(version), "workers": .int(services.jobs.devices.count)])
        }

        router.get("/api/v1/models") { request, _ in
            let refresh = request.uri.queryParameters.get("refresh").map { $0 == "1" || $0 == "true" } ?? false
            let models = services.catalog.models(refresh: refresh)
            let usable = models.filter(\.usable)
            let preferred = services.settings.defaultModel.flatMap { id in usable.first { $0.id == id } } ?? usable.first
            return Reply.json([
                "directory": .optional(services.catalog.directory),
                "models": .array(models.map(\.json)),
                "default": .optional(preferred?.id),
                "help": usable.isEmpty ? .string(services.catalog.helpWhenEmpty) : .null,
            ])
        }

        router.get("/api/v1/system") { _, _ in
            let snapshot = services.system.snapshot()
            let counts = try services.jobs.store.counts()
            return Reply.json(snapshot.json.merging([
                .init("workers", .array(services.jobs.devices.map { ["id": .string($0.id), "kind": .string($0.kind.rawValue), "name": .string($0.name)] as JSONOut })),
                .init("jobs", .object(JobStatus.allCases.map { .init($0.rawValue, .int(counts[$0] ?? 0)) })),
                .init("version", .string(version)),
            ]))
        }
    }
}
