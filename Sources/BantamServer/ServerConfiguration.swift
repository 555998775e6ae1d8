/// How `bantam serve` was started.
public struct ServerConfiguration: Sendable {
    public static let defaultMaxBodyBytes = 1 << 20
    public static let defaultPort = 6006

    public var host: String
    public var port: Int
    /// Required as a bearer token (or the console's cookie) on every route when set.
    public var token: String?
    /// Largest request body read, in bytes.
    public var maxBodyBytes: Int
    /// "bantam 0.1.0", shown by the console and the health route.
    public var version: String

    public init(host: String = "127.0.0.1", port: Int = defaultPort, token: String? = nil,
                maxBodyBytes: Int = defaultMaxBodyBytes, version: String = "bantam") {
        self.host = host
        self.port = port
        self.token = token
        self.maxBodyBytes = maxBodyBytes
        self.version = version
    }

    /// Bound to this machine only (127.0.0.0/8, ::1, localhost).
    public var isLoopback: Bool {
        AccessGuard.isLoopbackHost(host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host)
    }

    /// Lines to print at start when the setup is risky (reachable from other machines without a token).
    public var warnings: [String] {
        guard !isLoopback && token == nil else { return [] }
        return [
            "WARNING: bantam serve is listening on \(host), reachable from other machines, WITHOUT a token.",
            "WARNING: anyone who can reach port \(port) can run jobs and read or delete every image.",
            "WARNING: restart with --token SECRET (clients then send 'Authorization: Bearer SECRET'), or bind --host 127.0.0.1.",
        ]
    }
}
