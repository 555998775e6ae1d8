import Hummingbird

/// A request the server refuses, with the status and the one-line message the client sees:
/// `{"error": "<code>", "message": "<what is wrong and what to do>", "detail": "<same>"}` ("detail" is the
/// field A1111/FastAPI clients print).
public struct APIError: Error, Sendable, CustomStringConvertible {
    public let status: HTTPResponse.Status
    public let code: String
    public let message: String
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    public var description: String { "\(status.code) \(code): \(message)" }

    /// Malformed input (not JSON, wrong content type).
    public static func badRequest(_ message: String) -> APIError { APIError(.badRequest, "bad_request", message) }
    /// Well-formed input with a value out of range or of the wrong type.
    public static func invalid(_ message: String) -> APIError { APIError(.unprocessableContent, "invalid_parameter", message) }
    public static func notFound(_ message: String) -> APIError { APIError(.notFound, "not_found", message) }
    public static func conflict(_ message: String) -> APIError { APIError(.conflict, "conflict", message) }

    public var body: JSONOut {
        ["error": .string(code), "message": .string(message), "detail": .string(message)]
    }

    public var response: Response {
        var response = Reply.json(body, status: status)
        for field in headers { response.headers.append(field) }
        return response
    }

    /// The API error for a queue refusal.
    public init(_ error: JobError) {
        switch error {
        case .notFound: self.init(.notFound, "not_found", error.description)
        case .queueFull: self.init(.tooManyRequests, "queue_full", error.description)
        case .shuttingDown: self.init(.serviceUnavailable, "shutting_down", error.description)
        case .stillLive, .notQueued: self.init(.conflict, "conflict", error.description)
        }
    }
}
