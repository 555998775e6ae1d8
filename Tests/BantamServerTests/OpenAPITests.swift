import BantamJSON
import BantamServer
import Testing

/// The served OpenAPI document describes exactly the routes the router has, and its bounds are the
/// server's.
@Suite struct OpenAPITests {
    @Test func documentListsEveryRouteAndNothingElse() async throws {
        let server = try await TestServer()
        defer { Task { await server.stop() } }
        let response = try await server.get("/api/v1/openapi.json")
        #expect(response.status == .ok)
        let document = try response.object()
        #expect(document.string("openapi") == "3.1.0")
        let paths = try #require(document.object("paths"))
        var documented: Set<String> = []
        for (path, item) in paths.entries {
            for method in item.objectValue?.keys ?? [] { documented.insert("\(method.uppercased()) \(path)") }
        }
        // Router patterns use ":id"; OpenAPI uses "{id}".
        let routed = Set(server.routes.map { route in
            route.split(separator: "/", omittingEmptySubsequences: false).map { part in
                part.hasPrefix(":") ? "{\(part.dropFirst())}" : String(part)
            }.joined(separator: "/")
        })
        #expect(routed == documented, "undocumented: \(routed.subtracting(documented).sorted()); not routed: \(documented.subtracting(routed).sorted())")
    }

    @Test func documentedBoundsAreTheServersBounds() async throws {
        let asset = try #require(ConsoleAssets.asset("openapi.json"))
        let document = try #require(try JSONParser.parse(asset.text).objectValue)
        let request = try #require(document.object("components")?.object("schemas")?.object("JobRequest")?.object("properties"))
        func bounds(_ key: String) -> (Double?, Double?) {
            (request.object(key)?["minimum"]?.doubleValue, request.object(key)?["maximum"]?.doubleValue)
        }
        #expect(bounds("steps") == (Double(ParameterRules.steps.lowerBound), Double(ParameterRules.steps.upperBound)))
        #expect(bounds("width") == (Double(ParameterRules.side.lowerBound), Double(ParameterRules.side.upperBound)))
        #expect(bounds("batch_count") == (Double(ParameterRules.batchCount.lowerBound), Double(ParameterRules.batchCount.upperBound)))
        #expect(bounds("guidance") == (ParameterRules.guidance.lowerBound, ParameterRules.guidance.upperBound))
        #expect(bounds("cfg_scale") == (ParameterRules.cfgScale.lowerBound, ParameterRules.cfgScale.upperBound))
        #expect(bounds("seed") == (-1, Double(ParameterRules.seed.upperBound)))
        #expect(request.object("prompt")?.int("maxLength") == ParameterRules.promptCharacters)
        #expect(Set(request.keys) == Set(ValidationTests.jobKeys))
    }

    @Test func consoleControlsMatchTheBounds() throws {
        let page = try #require(ConsoleAssets.asset("index.html")).text
        #expect(page.contains(#"id="steps" name="steps" type="range" min="1" max="50" value="20""#))
        #expect(page.contains(#"id="batch" name="batch" type="number" min="1" max="16""#))
        #expect(page.contains(#"maxlength="4000""#))
        #expect(ConsoleAssets.names == ["console.css", "console.js", "icon.svg", "index.html", "openapi.json"])
    }
}
