import Metrics

/// The cni-manager's failure counters, with upstream's names and labels (upstream-cni §4.2), so
/// dashboards and alerts written for the Go manager keep working.
public struct ManagerMetrics: Sendable {
    private let factory: any MetricsFactory

    /// - Parameter factory: where counters go; the process-wide one unless a test observes its own.
    public init(factory: any MetricsFactory = MetricsSystem.factory) {
        self.factory = factory
    }

    /// A PodEndpoint write failed; `operation` is `create_or_update` or `delete`.
    func podEndpointFailure(namespace: String, pod: String, operation: String) {
        Counter(label: "cnimanager_podendpoint_operation_failures_total",
                dimensions: [("namespace", namespace), ("operation", operation), ("pod", pod)], factory: factory)
            .increment()
    }

    /// A conflist operation failed; `operation` is `install`, `regenerate` or `uninstall`.
    func cniConfigFailure(operation: String) {
        Counter(label: "cnimanager_cni_config_operation_failures_total", dimensions: [("operation", operation)],
                factory: factory).increment()
    }

    /// Removing the node's not-ready taint failed.
    func nodeTaintFailure(node: String) {
        Counter(label: "cnimanager_node_taint_operation_failures_total", dimensions: [("node", node)],
                factory: factory).increment()
    }
}
