import HTTPTypes
import Hummingbird

/// Response builders shared by the routes.
public enum Reply {
    public static func json(_ value: JSONOut, status: HTTPResponse.Status = .ok) -> Response {
        bytes(value.bytes, contentType: "application/json; charset=utf-8", status: status, cache: "no-store")
    }

    /// A PNG image. Finished images never change (their ids are unique), so browsers may keep them.
    public static func png(_ data: [UInt8], downloadName: String? = nil, immutable: Bool) -> Response {
        var response = bytes(data, contentType: "image/png", status: .ok,
                             cache: immutable ? "private, max-age=31536000, immutable" : "no-store")
        if let downloadName { response.headers[.contentDisposition] = "attachment; filename=\"\(downloadName)\"" }
        return response
    }

    public static func bytes(_ data: [UInt8], contentType: String, status: HTTPResponse.Status = .ok, cache: String) -> Response {
        var headers: HTTPFields = [:]
        headers[.contentType] = contentType
        headers[.cacheControl] = cache
        headers[.xContentTypeOptions] = "nosniff"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    public static func noContent() -> Response { Response(status: .noContent) }

    /// A text/event-stream: `initial` events, then those of `stream` until it ends — or, for one job's
    /// stream (`untilFinalOf`), until that job's final event. Pings become SSE comments.
    public static func eventStream(initial: [ServerEvent], stream: AsyncStream<ServerEvent>, untilFinalOf jobID: String?) -> Response {
        var headers: HTTPFields = [:]
        headers[.contentType] = "text/event-stream; charset=utf-8"
        headers[.cacheControl] = "no-store"
        headers[HTTPField.Name("X-Accel-Buffering")!] = "no"
        let body = ResponseBody { writer in
            var first = Array("retry: 2000\n\n".utf8)
            var ended = false
            for event in initial {
                first += event.sse
                if let jobID, event.isFinal, event.jobID == jobID { ended = true }
            }
            try await writer.write(ByteBuffer(bytes: first))
            if !ended {
                for await event in stream {
                    let text = event.name == "ping" ? Array(": ping\n\n".utf8) : event.sse
                    try await writer.write(ByteBuffer(bytes: text))
                    if let jobID, event.isFinal, event.jobID == jobID { break }
                }
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }
}
