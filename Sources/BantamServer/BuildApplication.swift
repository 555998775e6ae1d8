import Hummingbird
import Logging
import ServiceLifecycle

/// The server's routes, middleware first: errors become JSON (outermost), then the access guard (token,
/// loopback host, same-origin writes), then the console, the native API and the A1111 routes.
public func buildRouter(configuration: ServerConfiguration, services: ServerServices,
                        log: @escaping @Sendable (String) -> Void = { _ in }) -> Router<BantamRequestContext> {
    let router = Router(context: BantamRequestContext.self)
    router.add(middleware: ErrorMiddleware(maxBodyBytes: configuration.maxBodyBytes, log: log))
    router.add(middleware: AccessGuard(token: configuration.token, loopbackOnly: configuration.isLoopback))
    ConsoleRoutes(configuration: configuration).register(on: router)
    JobRoutes(configuration: configuration, services: services).register(on: router)
    GalleryRoutes(services: services).register(on: router)
    SystemRoutes(configuration: configuration, services: services).register(on: router)
    A1111Routes(configuration: configuration, services: services).register(on: router)
    return router
}

/// The whole server: the router on an HTTP/1.1 listener, plus a service that, on shutdown, stops the
/// workers (running jobs end as interrupted, queued ones stay queued) and closes the event streams.
public func buildApplication(configuration: ServerConfiguration, services: ServerServices, logger: Logger,
                             onServerRunning: @escaping @Sendable (Int?) async -> Void = { _ in }) -> some ApplicationProtocol {
    let router = buildRouter(configuration: configuration, services: services) { message in logger.warning("\(message)") }
    return Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: configuration.version),
        services: [ShutdownService(services: services)],
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port) },
        logger: logger)
}

/// Waits for the graceful-shutdown signal, then stops the queue's workers and ends the event streams
/// (so open SSE responses finish and the HTTP server can close).
struct ShutdownService: Service {
    let services: ServerServices

    func run() async throws {
        try? await gracefulShutdown()
        services.events.close()
        await services.jobs.stop()
    }
}
