import Metrics
import Observability
import Testing

@Suite("ProcessObservability")
struct ProcessObservabilityTests {
    @Test("bootstrap is once per process: a later call keeps the first registry, which swift-metrics records into")
    func bootstrapOnce() {
        let first = ProcessObservability.bootstrap(label: "egressgw.first", format: .json, level: .info)
        let second = ProcessObservability.bootstrap(label: "egressgw.second", format: .console, level: .debug)
        #expect(first.logger.label == "egressgw.first")
        #expect(second.logger.label == "egressgw.second")
        Counter(label: "egressgw_process_observability_test_total").increment()
        #expect(first.metrics.exposition().contains("egressgw_process_observability_test_total 1"))
        #expect(second.metrics.exposition() == first.metrics.exposition())
    }
}
