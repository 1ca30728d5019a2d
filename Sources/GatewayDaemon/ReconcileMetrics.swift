import Kube
import Metrics

/// controller-runtime's reconcile metrics, under its names and labels
/// (`controller_runtime_reconcile_total{controller,result}`,
/// `controller_runtime_reconcile_errors_total{controller}`,
/// `controller_runtime_reconcile_time_seconds{controller}`), so dashboards built for the Go daemon
/// keep working.
struct ReconcileMetrics: Sendable {
    let controller: String

    /// Runs `reconcile` and records its outcome and duration.
    func measure(_ reconcile: () async throws -> ReconcileResult) async throws -> ReconcileResult {
        let started = ContinuousClock.now
        defer {
            Metrics.Timer(label: "controller_runtime_reconcile_time_seconds", dimensions: [("controller", controller)],
                          preferredDisplayUnit: .seconds)
                .recordInterval(since: started)
        }
        do {
            let result = try await reconcile()
            Counter(label: "controller_runtime_reconcile_total",
                    dimensions: [("controller", controller), ("result", Self.label(result))]).increment()
            return result
        } catch {
            Counter(label: "controller_runtime_reconcile_total", dimensions: [("controller", controller), ("result", "error")])
                .increment()
            Counter(label: "controller_runtime_reconcile_errors_total", dimensions: [("controller", controller)]).increment()
            throw error
        }
    }

    private static func label(_ result: ReconcileResult) -> String {
        switch result {
        case .done: "success"
        case .requeue: "requeue"
        case .requeueAfter: "requeue_after"
        }
    }
}

extension Metrics.Timer {
    func recordInterval(since start: ContinuousClock.Instant) {
        let elapsed = (ContinuousClock.now - start).components
        recordNanoseconds(elapsed.seconds * 1_000_000_000 + elapsed.attoseconds / 1_000_000_000)
    }
}
