import Metrics

/// The operator's two reconcile metrics with the Go names and labels (spec §7), so existing dashboards keep
/// working. Unlike the Go version, a pass counts as failed whenever it did not reach its goal.
public struct ReconcileMetrics: Sendable {
    /// The operations, as the `operation` label spells them.
    public enum Operation: String, Sendable {
        case reconcileStaticGatewayConfiguration = "reconcile_static_gateway_configuration"
        case deleteStaticGatewayConfiguration = "delete_static_gateway_configuration"
        case reconcileGatewayLBConfiguration = "reconcile_gateway_lb_configuration"
        case deleteGatewayLBConfiguration = "delete_gateway_lb_configuration"
        case reconcileGatewayVMConfiguration = "reconcile_gateway_vm_configuration"
        case deleteGatewayVMConfiguration = "delete_gateway_vm_configuration"
    }

    public static let failureCounterLabel = "controller_reconcile_fail_count"
    public static let latencyLabel = "controller_reconcile_latency"

    private let podNamespace: String
    private let factory: (any MetricsFactory)?

    /// - Parameters:
    ///   - podNamespace: the operator's namespace (the `namespace` label, as in Go).
    ///   - factory: where to record; nil means the process-wide metrics system.
    public init(podNamespace: String, factory: (any MetricsFactory)? = nil) {
        self.podNamespace = podNamespace
        self.factory = factory
    }

    /// Runs `body` as one pass of `operation` on the object `resource` (`namespace/name`), recording its latency
    /// and, when it throws or returns false, a failure. `subscription` and `resourceGroup` are `n/a` for the SGC.
    public func measure<T>(
        _ operation: Operation, resource: String, subscription: String = "n/a", resourceGroup: String = "n/a",
        succeeded: (T) -> Bool = { _ in true }, _ body: () async throws -> T
    ) async throws -> T {
        let started = ContinuousClock.now
        let common = [
            ("namespace", podNamespace), ("operation", operation.rawValue),
            ("subscription_id", subscription), ("resource_group", resourceGroup),
        ]
        func record(failed: Bool) {
            let elapsed = ContinuousClock.now - started
            let nanoseconds = elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000
            timer(label: Self.latencyLabel, dimensions: common).recordNanoseconds(nanoseconds)
            if failed {
                counter(label: Self.failureCounterLabel, dimensions: common + [("resource", resource.lowercased())])
                    .increment()
            }
        }
        do {
            let result = try await body()
            record(failed: !succeeded(result))
            return result
        } catch {
            record(failed: true)
            throw error
        }
    }

    private func counter(label: String, dimensions: [(String, String)]) -> Counter {
        if let factory { Counter(label: label, dimensions: dimensions, factory: factory) }
        else { Counter(label: label, dimensions: dimensions) }
    }

    private func timer(label: String, dimensions: [(String, String)]) -> Metrics.Timer {
        if let factory { Metrics.Timer(label: label, dimensions: dimensions, factory: factory) }
        else { Metrics.Timer(label: label, dimensions: dimensions) }
    }
}
