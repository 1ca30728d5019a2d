import Foundation
import Kube
import KubeEmulator
import Testing

@Suite("leader election against the emulator")
struct LeaderElectionTests {
    static func configuration(_ identity: String, leaseDuration: Duration = .seconds(3),
                              renewDeadline: Duration = .seconds(2)) -> LeaderElector.Configuration {
        LeaderElector.Configuration(leaseName: "egressgw-operator", namespace: "default", identity: identity,
                                    leaseDuration: leaseDuration, renewDeadline: renewDeadline,
                                    retryPeriod: .milliseconds(200))
    }

    /// The leader is cancelled (shutdown); it releases the lease and the waiting candidate leads within one lease
    /// duration instead of waiting for the lease to expire. The lease is long (a minute) so that a take-over
    /// before it ends can only come from the release, however slowly a loaded machine runs the test.
    @Test func handOverOnShutdown() async throws {
        let leaseDuration = Duration.seconds(60)
        try await withEmulator { _, client in
            let first = LeaderElector(client: client, configuration: Self.configuration(
                "replica-a", leaseDuration: leaseDuration, renewDeadline: .seconds(40)))
            let second = LeaderElector(client: client, configuration: Self.configuration(
                "replica-b", leaseDuration: leaseDuration, renewDeadline: .seconds(40)))
            let (leading, signal) = AsyncStream<String>.makeStream()
            let a = Task {
                try await first.run {
                    signal.yield("a")
                    try await Task.sleep(for: .seconds(3600))
                }
            }
            var iterator = leading.makeAsyncIterator()
            #expect(await iterator.next() == "a")
            #expect(first.isLeader)

            let b = Task {
                try await second.run { ContinuousClock.now }
            }
            // B keeps campaigning against a renewed lease without taking it (it has read the lease once it
            // names A; a loaded machine may take a while to get there).
            try await eventually { second.currentLeader == "replica-a" }
            #expect(!second.isLeader)

            let stopped = ContinuousClock.now
            a.cancel()
            await #expect(throws: CancellationError.self) { try await a.value }
            #expect(!first.isLeader)
            let tookOver = try await b.value
            #expect(tookOver - stopped < leaseDuration, "handed over within one lease duration")

            let lease = try await client.resource(Lease.self, namespace: "default").get("egressgw-operator")
            #expect(lease.spec.holderIdentity == nil, "B released it in turn when its work returned")
            #expect(lease.spec.leaseTransitions == 1)
        }
    }

    /// A holder that vanished without releasing is replaced once its lease has not been renewed for a lease
    /// duration.
    @Test func expiredLeaseIsTakenOver() async throws {
        try await withEmulator { _, client in
            let leases = client.resource(Lease.self, namespace: "default")
            let now = MicroTimestamp.now()
            _ = try await leases.create(Lease(
                metadata: ObjectMeta(name: "egressgw-operator", namespace: "default"),
                spec: LeaseSpec(holderIdentity: "crashed", leaseDurationSeconds: 1, acquireTime: now, renewTime: now,
                                leaseTransitions: 4)))
            let elector = LeaderElector(client: client, configuration: Self.configuration(
                "replica-b", leaseDuration: .seconds(2), renewDeadline: .seconds(1)))
            let holder = try await elector.run {
                try await leases.get("egressgw-operator").spec
            }
            #expect(holder.holderIdentity == "replica-b")
            #expect(holder.leaseTransitions == 5)
            #expect(holder.acquireTime != now)
        }
    }

    /// A leader that cannot renew (another writer took the lease) stops its work after the renew deadline.
    @Test func leaderStopsWhenTheLeaseIsLost() async throws {
        try await withEmulator { _, client in
            let elector = LeaderElector(client: client, configuration: Self.configuration("replica-a"))
            let (leading, signal) = AsyncStream<Void>.makeStream()
            let run = Task {
                try await elector.run {
                    signal.yield()
                    try await Task.sleep(for: .seconds(3600))
                }
            }
            var iterator = leading.makeAsyncIterator()
            await iterator.next()
            let leases = client.resource(Lease.self, namespace: "default")
            var stolen = try await leases.get("egressgw-operator")
            stolen.spec.holderIdentity = "usurper"
            stolen.spec.renewTime = MicroTimestamp.now()
            _ = try await leases.update(stolen)
            await #expect(throws: LeaderElector.Failure.leaseLost(lease: "default/egressgw-operator", identity: "replica-a")) {
                try await run.value
            }
            #expect(!elector.isLeader)
            #expect(try await leases.get("egressgw-operator").spec.holderIdentity == "usurper", "a lost lease is not released")
        }
    }
}
