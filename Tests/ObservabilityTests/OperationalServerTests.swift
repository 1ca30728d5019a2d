import HTTPClient
import Metrics
import Observability
import ServiceLifecycle
import Testing

@Suite("OperationalServer")
struct OperationalServerTests {
    /// Runs a server on a free loopback port for the duration of `body`.
    private func withServer(metrics: MetricsRegistry?, readiness: Readiness?,
                            _ body: (Int) async throws -> Void) async throws
    {
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let server = OperationalServer(host: "127.0.0.1", port: 0, metrics: metrics, readiness: readiness,
                                       logger: .init(label: "test")) { continuation.yield($0) }
        let task = Task { try await server.run() }
        defer { task.cancel() }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())
        try await body(port)
    }

    private func get(_ port: Int, _ path: String) async throws -> (Int, String) {
        let response = try await HTTPClient().execute(HTTPRequest(url: "http://127.0.0.1:\(port)\(path)"))
        return (response.status, String(decoding: response.body, as: UTF8.self))
    }

    @Test("/metrics renders what libraries recorded through swift-metrics")
    func metricsExposition() async throws {
        let registry = MetricsRegistry()
        Counter(label: "egressgw_test_requests_total", dimensions: [("role", "test")], factory: registry.factory)
            .increment(by: 3)
        try await withServer(metrics: registry, readiness: nil) { port in
            let (status, body) = try await get(port, "/metrics")
            #expect(status == 200)
            #expect(body.contains(#"egressgw_test_requests_total{role="test"} 3"#))
            #expect(try await get(port, "/readyz").0 == 404)
        }
    }

    @Test("/readyz names the pending components; /healthz stays up meanwhile")
    func readiness() async throws {
        let readiness = Readiness()
        readiness.markNotReady("informer", reason: "waiting for the first list of pods")
        try await withServer(metrics: nil, readiness: readiness) { port in
            let (status, body) = try await get(port, "/readyz")
            #expect(status == 503)
            #expect(body == "informer: waiting for the first list of pods\n")
            #expect(try await get(port, "/healthz").0 == 200)
            readiness.markReady("informer")
            #expect(try await get(port, "/readyz").0 == 200)
            #expect(try await get(port, "/metrics").0 == 404)
        }
    }
}
