import Hummingbird
import Logging
import ServiceLifecycle

/// The plain-HTTP server of a role's operational endpoints: `/metrics` (Prometheus text format) when given a
/// registry, and `/healthz` and `/readyz` when given a readiness. Roles that keep metrics and probes on separate
/// ports, as controller-runtime does (`:8080` and `:8081`), run two of them.
///
/// It is a `Service`: run it in the role's `ServiceGroup`, and it stops with the group on SIGTERM.
public struct OperationalServer: Service {
    /// Address to listen on; the upstream components bind every address (`:PORT`).
    public var host: String
    /// Port to listen on; 0 picks a free one (tests).
    public var port: Int
    public var metrics: MetricsRegistry?
    public var readiness: Readiness?
    private let onListening: @Sendable (Int) async -> Void
    private let logger: Logger

    /// - Parameter onListening: receives the bound port once the server accepts connections.
    public init(host: String = "0.0.0.0", port: Int, metrics: MetricsRegistry? = nil, readiness: Readiness? = nil,
                logger: Logger, onListening: @escaping @Sendable (Int) async -> Void = { _ in })
    {
        self.host = host
        self.port = port
        self.metrics = metrics
        self.readiness = readiness
        self.logger = logger
        self.onListening = onListening
    }

    public func run() async throws {
        let router = Router()
        if let metrics {
            router.get("metrics") { _, _ in
                Response(status: .ok, headers: [.contentType: MetricsRegistry.contentType],
                         body: .init(byteBuffer: ByteBuffer(string: metrics.exposition())))
            }
        }
        if let readiness {
            // Liveness answers while the event loop does; readiness names what is still pending.
            router.get("healthz") { _, _ in "ok\n" }
            router.get("readyz") { _, _ in Self.readinessResponse(readiness) }
        }
        // Hummingbird logs the teardown of a cancelled server as errors; only someone debugging wants those.
        var serverLogger = logger
        serverLogger.logLevel = logger.logLevel <= .debug ? logger.logLevel : .critical
        let app = Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname(host, port: port)),
            onServerRunning: { [port, onListening] channel in await onListening(channel.localAddress?.port ?? port) },
            logger: serverLogger)
        try await app.run()
    }

    static func readinessResponse(_ readiness: Readiness) -> Response {
        let problems = readiness.problems
        guard !problems.isEmpty else {
            return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "ok\n")))
        }
        let text = problems.map { "\($0.component): \($0.reason)\n" }.joined()
        return Response(status: .serviceUnavailable, body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
