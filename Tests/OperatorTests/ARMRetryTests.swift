import ARMEmulator
import Azure
import EgressGatewayAPI
import Kube
import Operator
import Testing

/// How ARM's answers steer the controllers' requeues: a `Retry-After` (429, or a 503 the client gave up on) is the
/// requeue delay, a 412 requeues at once and the next pass writes over a fresh read.
@Suite("ARM failures as requeue hints")
struct ARMRetryTests {
    static let scaleSetID = ResourceID(subscription: AzureFabricTests.subscription, resourceGroup: AzureFabricTests.group,
                                       kind: .scaleSet, names: [AzureFabricTests.scaleSet])

    static func withEmulator(_ body: (ARMEmulator, AzureGatewayFabric) async throws -> Void) async throws {
        let emulator = ARMEmulator()
        _ = try emulator.apply(try Seed(yaml: AzureFabricTests.seed))
        let server = try await emulator.start()
        do {
            try await body(emulator, try AzureFabricTests.fabric(url: server.url))
            await server.stop()
        } catch {
            await server.stop()
            throw error
        }
    }

    /// The requeue delay the controller takes from the error `operation` throws.
    static func retryHint(_ operation: () async throws -> Void) async -> Duration?? {
        do {
            try await operation()
            Issue.record("the call succeeded")
            return nil
        } catch {
            return .some((error as? any RetryAfterError)?.retryAfter)
        }
    }

    @Test("a 429 requeues after its Retry-After")
    func throttled() async throws {
        try await Self.withEmulator { emulator, fabric in
            emulator.enqueue(.throttle(retryAfterSeconds: 7))
            let hint = await Self.retryHint { _ = try await fabric.scaleSets() }
            #expect(hint == .some(.seconds(7)))
        }
    }

    @Test("a 503 the client gave up on requeues after its Retry-After; a 500 without one keeps the backoff")
    func unavailable() async throws {
        try await Self.withEmulator { emulator, fabric in
            // The test client retries twice: three answers make it give up.
            emulator.enqueue(.unavailable(retryAfterSeconds: 4), count: 3)
            let busy = await Self.retryHint { _ = try await fabric.scaleSets() }
            #expect(busy == .some(.seconds(4)))
            #expect(emulator.requestLog.filter { $0.status == 503 }.count == 3)

            emulator.enqueue(.internalError, count: 3)
            let failed = await Self.retryHint { _ = try await fabric.scaleSets() }
            #expect(failed == .some(nil))
        }
    }

    @Test("a 412 requeues at once, and the next pass writes its change over the other writer's")
    func preconditionFailed() async throws {
        try await Self.withEmulator { emulator, fabric in
            let group = AzureFabricTests.group, name = AzureFabricTests.scaleSet
            let model = try #require(try await fabric.scaleSetInterfaces(resourceGroup: group, name: name))
            // Another writer changes the scale set between this read and the write.
            var other = try #require(emulator.resource(Self.scaleSetID))
            other[path: "tags", "owner"] = "someone-else"
            try emulator.create(Self.scaleSetID, other)

            var changed = model
            let subnet = changed[0].ipConfigurations.first { $0.primary == true }?.subnetID
            changed[0].ipConfigurations.append(IPConfiguration(name: "egressgateway-test", primary: false,
                                                               privateIPAddressVersion: "IPv4", subnetID: subnet))
            let stale = await Self.retryHint {
                try await fabric.putScaleSetInterfaces(resourceGroup: group, name: name, changed)
            }
            #expect(stale == .some(.zero))
            #expect(emulator.requestLog.contains { $0.method == "PUT" && $0.status == 412 })

            // The next pass reads again and computes the same change on the fresh model.
            let fresh = try #require(try await fabric.scaleSetInterfaces(resourceGroup: group, name: name))
            var again = fresh
            again[0].ipConfigurations.append(IPConfiguration(name: "egressgateway-test", primary: false,
                                                             privateIPAddressVersion: "IPv4", subnetID: subnet))
            try await fabric.putScaleSetInterfaces(resourceGroup: group, name: name, again)
            let stored = try #require(emulator.resource(Self.scaleSetID))
            #expect(stored[path: "tags", "owner"]?.stringValue == "someone-else")
            #expect(AzureFabricTests.modelIPConfigurations(emulator).contains("egressgateway-test"))
        }
    }

    @Test("under the controller, a throttled load-balancer write is retried after Retry-After, not the backoff")
    func throttledPassWaits() async throws {
        try await AzureFabricTests.with { harness, emulator, _ in
            // The load balancer PUT is the operator's first ARM write.
            emulator.enqueue(.throttle(retryAfterSeconds: 3), for: .writes)
            _ = try await harness.sgcs().create(sgc("gw1", spec: .init(gatewayNodepoolName: "gwpool")))
            _ = try await harness.eventually(harness.sgcs(), "gw1") { $0.status.readyCondition?.status == .true }
            #expect(emulator.requestLog.contains { $0.method == "PUT" && $0.status == 429 })
            // While the client holds writes back, every pass fails at once; on the per-key backoff (5 ms doubling)
            // about nine would fail within 3 s. Waiting out Retry-After leaves the failed pass and the ones its
            // own finalizer and status writes trigger.
            let failures = harness.failureCount("reconcile_gateway_lb_configuration")
            #expect(failures >= 1 && failures <= 4, "\(failures) failed load-balancer passes")
        }
    }
}

extension OperatorHarness {
    /// The operator's `controller_reconcile_fail_count` summed over the resources of `operation`.
    func failureCount(_ operation: String) -> Int {
        metrics.exposition().split(separator: "\n")
            .filter { $0.hasPrefix(ReconcileMetrics.failureCounterLabel + "{") && $0.contains("operation=\"\(operation)\"") }
            .compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }
            .reduce(0) { $0 + Int($1) }
    }
}
