import Hummingbird

/// The gallery: finished images, newest first, each with its job's parameters; the PNG files; deletion.
struct GalleryRoutes {
    let services: ServerServices

    func register(on router: Router<BantamRequestContext>) {
        let jobs = services.jobs
        router.get("/api/v1/images") { request, _ in
            let query = request.uri.queryParameters
            let limit = try JobRoutes.queryInt(query.get("limit"), name: "limit", default: 48, range: 1...500)
            let before = try query.get("before").map { try JobRoutes.queryInt($0, name: "before", default: 0, range: 1...Int.max) }
            let items = try jobs.store.images(limit: limit, before: before.map(Int64.init))
            let next: JSONOut = items.count == limit ? .int(Int(items.last!.image.sequence)) : .null
            return Reply.json(["images": .array(items.map { $0.image.json.merging([.init("parameters", $0.parameters.json)]) }),
                               "next_before": next])
        }

        router.get("/api/v1/images/:id") { request, context in
            let id = try Self.imageID(context)
            guard let image = try jobs.store.image(id), let png = try jobs.images.read(name: image.fileName) else {
                throw APIError.notFound("there is no image \(id)")
            }
            let download = request.uri.queryParameters.get("download").map { $0 == "1" || $0 == "true" } ?? false
            return Reply.png(png, downloadName: download ? "bantam-\(id)-seed\(image.seed).png" : nil, immutable: true)
        }

        router.delete("/api/v1/images/:id") { _, context in
            let id = try Self.imageID(context)
            guard try await jobs.deleteImage(id) else { throw APIError.notFound("there is no image \(id)") }
            return Reply.noContent()
        }
    }

    static func imageID(_ context: BantamRequestContext) throws -> String {
        let id = try context.parameters.require("id")
        guard ImageRecord.isWellFormedID(id) else {
            throw APIError.notFound("there is no image '\(id.prefix(40))' (image ids look like 0123456789abcdef-0)")
        }
        return id
    }
}
