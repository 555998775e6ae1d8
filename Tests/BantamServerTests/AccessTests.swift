import BantamServer
import HTTPTypes
import Hummingbird
import Testing

/// Safe by default: the token on every route, loopback Host names only, same-origin writes.
@Suite struct AccessTests {
    static let token = "s3cret-\(Int.random(in: 0...1_000_000))"

    @Test func tokenIsRequiredOnEveryRoute() async throws {
        let server = try await TestServer(configuration: ServerConfiguration(token: Self.token))
        defer { Task { await server.stop() } }
        for route in server.routes {
            let parts = route.split(separator: " ", maxSplits: 1)
            let path = String(parts[1]).replacingParameters()
            let method = HTTPRequest.Method(String(parts[0]))!
            let response = try await server.request(method, path, json: method == .post ? "{}" : nil)
            #expect(response.status == .unauthorized, "\(route) → \(response.status)")
            #expect(response.headers[.wwwAuthenticate] == "Bearer")
        }
        #expect(try await server.get("/no/such/route").status == .unauthorized)   // even 404s need the token

        let bearer = try await server.get("/api/v1/health", headers: [.authorization: "Bearer \(Self.token)"])
        #expect(bearer.status == .ok)
        let wrong = try await server.get("/api/v1/health", headers: [.authorization: "Bearer \(Self.token)x"])
        #expect(wrong.status == .unauthorized)
        #expect(wrong.message.contains("Authorization: Bearer"))
        let page = try await server.get("/")
        #expect(page.status == .unauthorized)
        #expect(page.text.contains("/?token="))
    }

    @Test func openingThePageWithTheTokenSetsACookie() async throws {
        let server = try await TestServer(configuration: ServerConfiguration(token: Self.token))
        defer { Task { await server.stop() } }
        let login = try await server.get("/?token=\(Self.token)")
        #expect(login.status == .seeOther)
        #expect(login.headers[.location] == "/")
        let cookie = try #require(login.headers[.setCookie])
        #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"))
        let value = String(cookie.split(separator: ";")[0])
        #expect(try await server.get("/", headers: [.cookie: "theme=dark; \(value)"]).status == .ok)
        #expect(try await server.get("/api/v1/events?x", headers: [.cookie: "\(value)x"]).status == .unauthorized)
        #expect(try await server.get("/?token=wrong").status == .unauthorized)
    }

    @Test func loopbackServerRefusesOtherHostNames() async throws {
        let server = try await TestServer()
        defer { Task { await server.stop() } }
        for host in ["127.0.0.1:6006", "localhost:6006", "[::1]:6006", "127.1.2.3", "LOCALHOST"] {
            #expect(try await server.request(.get, "/api/v1/health", host: host).status == .ok, "\(host)")
        }
        for host in ["evil.example:6006", "127.0.0.1.evil.example", "192.168.1.2:6006", "[::2]:6006", ""] {
            let response = try await server.request(.get, "/api/v1/health", host: host)
            #expect(response.status == .forbidden, "\(host)")
            #expect(response.message.contains("only answers requests for 127.0.0.1"))
        }
    }

    @Test func crossOriginWritesAreRefused() async throws {
        let server = try await TestServer()
        defer { Task { await server.stop() } }
        let body = #"{"prompt": "x", "steps": 1, "width": 16, "height": 16}"#
        let foreign = try await server.request(.post, "/api/v1/jobs", json: body, headers: [.origin: "http://evil.example"])
        #expect(foreign.status == .forbidden)
        #expect(foreign.message.contains("own page"))
        let own = try await server.request(.post, "/api/v1/jobs", json: body, headers: [.origin: "http://127.0.0.1:6006"])
        #expect(own.status == .accepted)
        // Reads are not refused by the origin check.
        #expect(try await server.request(.get, "/api/v1/health", headers: [.origin: "http://evil.example"]).status == .ok)
    }

    @Test func bindingElsewhereWithoutATokenWarnsLoudly() {
        #expect(ServerConfiguration(host: "127.0.0.1").warnings.isEmpty)
        #expect(ServerConfiguration(host: "::1").warnings.isEmpty)
        #expect(ServerConfiguration(host: "0.0.0.0", token: "t").warnings.isEmpty)
        let warnings = ServerConfiguration(host: "0.0.0.0").warnings
        #expect(warnings.count == 3)
        #expect(warnings.allSatisfy { $0.hasPrefix("WARNING:") })
        #expect(warnings.joined().contains("WITHOUT a token"))
        #expect(!ServerConfiguration(host: "0.0.0.0").isLoopback)
    }
}

extension String {
    /// A route pattern with its parameters filled in ("/api/v1/jobs/:id" → "/api/v1/jobs/0123456789abcdef").
    func replacingParameters() -> String {
        split(separator: "/", omittingEmptySubsequences: false).map { part in
            part == ":id" ? "0123456789abcdef" : part.hasPrefix(":") ? "x" : String(part)
        }.joined(separator: "/")
    }
}
