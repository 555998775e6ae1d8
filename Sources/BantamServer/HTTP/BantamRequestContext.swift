import Hummingbird

/// The request context of every route: Hummingbird's core storage and nothing else (authentication is
/// a middleware decision, not state). Bodies are read explicitly with a limit (`Request.jsonObject`), so
/// the framework's own decoding limit is the same small bound.
public struct BantamRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }

    public var maxUploadSize: Int { ServerConfiguration.defaultMaxBodyBytes }
}
