import HTTPTypes
import Hummingbird

/// The console: `/` (the page) and `/assets/<name>` (its CSS, JavaScript, icon, and the OpenAPI
/// document), all compiled into the binary (`EmbeddedAssets`, generated from Sources/BantamServer/Assets).
struct ConsoleRoutes {
    let configuration: ServerConfiguration

    /// The page may load only its own scripts, styles and images (and previews as blob/data URLs).
    static let contentSecurityPolicy = "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

    func register(on router: Router<BantamRequestContext>) {
        router.get("/") { _, _ in Self.serve("index.html") }
        router.get("/assets/:name") { _, context in
            let name = try context.parameters.require("name")
            return Self.serve(name)
        }
        router.get("/api/v1/openapi.json") { _, _ in Self.serve("openapi.json") }
    }

    static func serve(_ name: String) -> Response {
        guard let asset = EmbeddedAssets.files[name] else {
            return APIError.notFound("there is no asset '\(name.prefix(60))'").response
        }
        var response = Reply.bytes(asset.bytes, contentType: asset.contentType, cache: "no-cache")
        response.headers[.eTag] = asset.etag
        if asset.contentType.hasPrefix("text/html") {
            response.headers[.contentSecurityPolicy] = contentSecurityPolicy
            response.headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        }
        return response
    }
}
