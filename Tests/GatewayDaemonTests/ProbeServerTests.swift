import GatewayDaemon
import HTTPClient
import Logging
import ServiceLifecycle
import Synchronization
import Testing

@Suite("Load-balancer probe server (§7)")
struct ProbeServerTests {
    @Test func pathsAndStates() {
        let probes = GatewayProbes()
        for path in ["", "/gw", "/gw/123/123"] { #expect(probes.status(forPath: path) == (path.isEmpty ? 404 : 400), "\(path)") }
        #expect(probes.status(forPath: "/gw/") == 503)
        #expect(probes.status(forPath: "/gw/uid-1") == 503)
        probes.markHealthy("uid-1")
        probes.markHealthy("uid-2")
        #expect(probes.status(forPath: "/gw/uid-1") == 200)
        probes.remove("unknown")
        probes.remove("uid-2")
        #expect(probes.status(forPath: "/gw/uid-2") == 503)
        probes.beginShutdown()
        #expect(probes.status(forPath: "/gw/uid-1") == 503, "shutting down fails even active gateways")
    }

    /// 200 for an active uid; on graceful shutdown 503 while draining, then the server stops.
    @Test(.timeLimit(.minutes(1))) func drainsOnShutdown() async throws {
        let probes = GatewayProbes()
        probes.markHealthy("uid-1")
        let port = Mutex<Int?>(nil)
        let server = LoadBalancerProbeServer(host: "127.0.0.1", port: 0, probes: probes, drainDelay: .milliseconds(600),
                                             logger: Logger(label: "test")) { bound in port.withLock { $0 = bound } }
        let group = ServiceGroup(configuration: .init(services: [server], logger: Logger(label: "test")))
        let running = Task { try await group.run() }
        try await eventually { port.withLock { $0 } != nil }
        let url = "http://127.0.0.1:\(port.withLock { $0 }!)"
        let client = try HTTPClient()
        #expect(try await client.execute(HTTPRequest(method: .get, url: url + "/gw/uid-1")).status == 200)
        #expect(try await client.execute(HTTPRequest(method: .get, url: url + "/gw/other")).status == 503)
        #expect(try await client.execute(HTTPRequest(method: .get, url: url + "/gw/a/b")).status == 400)
        await group.triggerGracefulShutdown()
        try await eventually { try await client.execute(HTTPRequest(method: .get, url: url + "/gw/uid-1")).status == 503 }
        try await running.value
        await #expect(throws: (any Error).self, "stopped after the drain") {
            try await client.execute(HTTPRequest(method: .get, url: url + "/gw/uid-1"))
        }
    }
}
