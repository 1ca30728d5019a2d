import Metrics
import Prometheus

/// The process's metrics: every swift-metrics counter, gauge, meter and timer a library creates lands in one
/// Prometheus registry, which the operational server renders on `/metrics`.
///
/// Libraries only `import Metrics` and create metrics by label; they never see Prometheus. The role's entry
/// point makes one registry and calls ``bootstrapMetricsSystem()`` before any library runs.
public struct MetricsRegistry: Sendable {
    /// The underlying collector registry, for tests and for collectors that need it directly.
    public let collectors: PrometheusCollectorRegistry

    public init() {
        collectors = PrometheusCollectorRegistry()
    }

    /// A factory that records into this registry, for code that takes a factory explicitly (tests use it to
    /// observe metrics without the process-wide bootstrap, which swift-metrics allows only once).
    public var factory: any MetricsFactory {
        PrometheusMetricsFactory(registry: collectors)
    }

    /// Routes the process-wide swift-metrics API to this registry. Call once per process.
    public func bootstrapMetricsSystem() {
        MetricsSystem.bootstrap(factory)
    }

    /// The registry in the Prometheus text exposition format (version 0.0.4).
    public func exposition() -> String {
        var buffer: [UInt8] = []
        collectors.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }

    /// The content type of ``exposition()``.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"
}
