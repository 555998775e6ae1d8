import Hummingbird

/// Turns every error a route throws into a JSON response with a one-line message: the server's own
/// refusals (`APIError`, `JobError`) keep their status; Hummingbird's (no such route, wrong method, body
/// too large) get a message that says what to do. Storage failures are the server's fault and say so (500);
/// nothing a client sends should lead there, and the tests check that none does.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = BantamRequestContext
    let maxBodyBytes: Int
    let log: @Sendable (String) -> Void

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return error.response
        } catch let error as JobError {
            return APIError(error).response
        } catch let error as any HTTPResponseError {
            return translate(error.status, request: request).response
        } catch {
            log("\(request.method) \(request.uri.path): \(error)")
            return APIError(.internalServerError, "internal_error", "the server failed: \(JobManager.oneLine(error))").response
        }
    }

    private func translate(_ status: HTTPResponse.Status, request: Request) -> APIError {
        let route = "\(request.method) \(request.uri.path)"
        switch status {
        case .notFound:
            return APIError(.notFound, "not_found", "there is no route \(route); the API is described at /api/v1/openapi.json")
        case .methodNotAllowed:
            return APIError(.methodNotAllowed, "method_not_allowed", "\(route) is not allowed; the API is described at /api/v1/openapi.json")
        case .contentTooLarge:
            return APIError(.contentTooLarge, "too_large", "the request body is larger than \(maxBodyBytes) bytes")
        default:
            return APIError(status, "error", "\(route) failed: \(status.reasonPhrase)")
        }
    }
}
