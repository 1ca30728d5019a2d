import Hummingbird
import Logging
import ServiceLifecycle
import Synchronization

/// The gateways this node serves, as the Azure internal load balancer's health probes ask about
/// them: `/gw/<StaticGatewayConfiguration uid>` is healthy once that gateway is fully set up.
///
/// A uid is added at the end of every successful gateway apply and removed when its link goes,
/// so the load balancer stops sending a deleted gateway's tunnels here at once.
public final class GatewayProbes: Sendable {
    private struct State {
        var healthy: Set<String> = []
        var shuttingDown = false
    }

    private let state = Mutex(State())

    public init() {}

    public func markHealthy(_ uid: String) { _ = state.withLock { $0.healthy.insert(uid) } }

    /// Removing a uid that is not there is fine.
    public func remove(_ uid: String) { _ = state.withLock { $0.healthy.remove(uid) } }

    /// From now on every probe fails, so the load balancer drains the node before it goes.
    public func beginShutdown() { state.withLock { $0.shuttingDown = true } }

    public var healthyUIDs: Set<String> { state.withLock { $0.healthy } }

    /// The status code for a request path, the way the Go server decides it: 404 outside the
    /// `/gw/` subtree; exactly `/gw/<uid>` (three `/`-separated parts) or 400; 200 for a healthy
    /// uid unless shutting down; 503 otherwise (including `/gw/`, whose uid is empty).
    public func status(forPath path: String) -> Int {
        guard path.hasPrefix("/gw/") else { return path == "/gw" ? 400 : 404 }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].isEmpty, parts[1] == "gw" else { return 400 }
        let uid = String(parts[2])
        return state.withLock { !$0.shuttingDown && $0.healthy.contains(uid) } ? 200 : 503
    }
}

/// The plain-HTTP server the load balancer probes (port 8082 upstream). Any method and path is
/// answered, without a body (see ``GatewayProbes/status(forPath:)``). On graceful shutdown it answers 503 to everything for the drain delay, so
/// the load balancer (5 s probe interval, threshold 1) moves the tunnels away before the
/// process stops, then closes.
public struct LoadBalancerProbeServer: Service {
    public let host: String
    /// 0 picks a free port (tests).
    public let port: Int
    public let probes: GatewayProbes
    public let drainDelay: Duration
    private let logger: Logger
    private let onListening: @Sendable (Int) async -> Void

    public init(host: String = "0.0.0.0", port: Int, probes: GatewayProbes, drainDelay: Duration, logger: Logger,
                onListening: @escaping @Sendable (Int) async -> Void = { _ in }) {
        self.host = host
        self.port = port
        self.probes = probes
        self.drainDelay = drainDelay
        self.logger = logger
        self.onListening = onListening
    }

    public func run() async throws {
        let probes = probes
        let responder = CallbackResponder<BasicRequestContext> { request, _ in
            Response(status: HTTPResponse.Status(code: probes.status(forPath: request.uri.path)))
        }
        var serverLogger = logger
        serverLogger.logLevel = logger.logLevel <= .debug ? logger.logLevel : .critical
        let app = Application(
            responder: responder,
            configuration: ApplicationConfiguration(address: .hostname(host, port: port)),
            onServerRunning: { [port, onListening] channel in await onListening(channel.localAddress?.port ?? port) },
            logger: serverLogger)
        logger.info("Starting gateway lb health probe server", metadata: ["port": "\(port)"])
        // Detached, so the server does not see the group's graceful shutdown: it must keep
        // answering (503) through the drain delay and stop only when told to.
        let server = Task.detached { try await app.run() }
        await withTaskCancellationHandler {
            try? await gracefulShutdown()
        } onCancel: {
            server.cancel()
        }
        if !Task.isCancelled {
            probes.beginShutdown()
            logger.info("Marking gateway lb health probe server as shutting down")
            logger.info("Waiting for LB probes to detect shutdown", metadata: ["delay": "\(drainDelay)"])
            try? await Task.sleep(for: drainDelay)
        }
        logger.info("Stopping gateway lb health probe server")
        server.cancel()
        try await server.value
    }

}
