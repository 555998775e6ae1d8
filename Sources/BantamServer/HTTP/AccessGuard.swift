import Hummingbird

/// Who may talk to the server.
///
/// - With `--token`, every route needs `Authorization: Bearer <token>` or the `bantam_token` cookie. The
///   cookie is set by opening the console once as `/?token=<token>` (then redirected to `/`), so the page,
///   its event stream and its images work without the token in every URL.
/// - Bound to a loopback address, requests must name a loopback host (`Host: 127.0.0.1:6006`,
///   `localhost`, `[::1]`): a web page elsewhere cannot reach the server through DNS rebinding.
/// - Writes (POST, PUT, PATCH, DELETE) from a browser must come from the server's own origin: an `Origin`
///   header naming another site is refused, so other pages cannot submit or delete jobs.
struct AccessGuard: RouterMiddleware {
    typealias Context = BantamRequestContext
    static let cookieName = "bantam_token"
    let token: String?
    let loopbackOnly: Bool

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let host = request.head.authority ?? ""
        if loopbackOnly && !Self.isLoopbackHost(host) {
            throw APIError(.forbidden, "forbidden_host", "this server only answers requests for 127.0.0.1, localhost or [::1] (Host was '\(host.prefix(100))'); start it with --host to serve other names")
        }
        if request.method != .get && request.method != .head, let origin = request.headers[.origin],
           !Self.sameOrigin(origin, host: host) {
            throw APIError(.forbidden, "forbidden_origin", "requests that change something must come from this server's own page (Origin was '\(origin.prefix(100))')")
        }
        guard let token else { return try await next(request, context) }
        if Self.presentedToken(request).map({ Self.constantTimeEqual($0, token) }) == true {
            return try await next(request, context)
        }
        // Opening the console with ?token= stores the token in a cookie.
        if request.method == .get, request.uri.path == "/",
           let given = request.uri.queryParameters.get("token"), Self.constantTimeEqual(given, token) {
            var headers: HTTPFields = [:]
            headers[.setCookie] = "\(Self.cookieName)=\(token); Path=/; HttpOnly; SameSite=Strict"
            headers[.location] = "/"
            headers[.cacheControl] = "no-store"
            return Response(status: .seeOther, headers: headers)
        }
        if request.uri.path == "/" {
            var response = Reply.bytes(Array(Self.loginPage.utf8), contentType: "text/html; charset=utf-8", status: .unauthorized, cache: "no-store")
            response.headers[.wwwAuthenticate] = "Bearer"
            return response
        }
        var error = APIError(.unauthorized, "unauthorized", "this server needs a token: send 'Authorization: Bearer <token>' (the --token it was started with), or open /?token=<token> in the browser")
        error.headers[.wwwAuthenticate] = "Bearer"
        throw error
    }

    /// The bearer token, else the cookie's.
    static func presentedToken(_ request: Request) -> String? {
        if let header = request.headers[.authorization] {
            let parts = header.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" { return parts[1].trimmingCharacters(in: " ") }
        }
        for field in request.headers[values: .cookie] {
            for pair in field.split(separator: ";") {
                let kv = pair.split(separator: "=", maxSplits: 1)
                if kv.count == 2, kv[0].trimmingCharacters(in: " ") == cookieName { return String(kv[1]) }
            }
        }
        return nil
    }

    /// Compares without an early exit, so timing does not reveal how much of a guess was right.
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var difference = UInt8(x.count == y.count ? 0 : 1)
        for i in 0..<max(x.count, y.count) {
            difference |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0)
        }
        return difference == 0
    }

    /// `127.0.0.1`, `127.x.y.z`, `localhost`, `[::1]`, with or without a port.
    static func isLoopbackHost(_ host: String) -> Bool {
        var name = Substring(host.lowercased())
        if name.hasPrefix("[") {
            guard let end = name.firstIndex(of: "]") else { return false }
            return name[name.index(after: name.startIndex)..<end] == "::1"
        }
        if let colon = name.lastIndex(of: ":") { name = name[..<colon] }
        if name == "localhost" || name.hasSuffix(".localhost") { return true }
        let octets = name.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }

    /// Whether `origin` ("http://host:port") names `host`.
    static func sameOrigin(_ origin: String, host: String) -> Bool {
        for scheme in ["http://", "https://"] where origin.lowercased().hasPrefix(scheme) {
            return origin.dropFirst(scheme.count).lowercased() == host.lowercased()
        }
        return false
    }

    static let loginPage = """
        <!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Bantam — token needed</title></head><body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem">
        <h1>This Bantam server needs its token</h1>
        <p>It was started with <code>--token</code>. Open <code>/?token=YOUR_TOKEN</code> once in this browser (the page then
        remembers it in a cookie), or send <code>Authorization: Bearer YOUR_TOKEN</code> with API requests.</p>
        </body></html>
        """
}
