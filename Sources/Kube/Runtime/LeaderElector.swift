import Foundation
import Logging
import Synchronization

/// Leader election on a coordination.k8s.io/v1 Lease, as client-go does it: one of several replicas holds the lease
/// and renews it; the others watch it age and take it over once it has not been renewed for a lease duration.
///
/// Expiry is judged by this process's monotonic clock from the moment it last saw the lease record change, never by
/// comparing the holder's timestamps with the local clock, so clock skew between nodes does not matter.
public final class LeaderElector: Sendable {
    public struct Configuration: Sendable {
        /// The Lease's name and namespace (the caller's choice; one per elected component).
        public var leaseName: String
        public var namespace: String
        /// This replica's identity (the pod name, plus a random suffix to tell restarts apart).
        public var identity: String
        /// How long a lease stays valid without renewal; others wait this long before taking over.
        public var leaseDuration: Duration
        /// The leader gives up when it could not renew for this long (before others may take over).
        public var renewDeadline: Duration
        /// How often candidates try to acquire and the leader renews.
        public var retryPeriod: Duration

        public init(leaseName: String, namespace: String, identity: String,
                    leaseDuration: Duration = .seconds(15), renewDeadline: Duration = .seconds(10),
                    retryPeriod: Duration = .seconds(2)) {
            self.leaseName = leaseName
            self.namespace = namespace
            self.identity = identity
            self.leaseDuration = leaseDuration
            self.renewDeadline = renewDeadline
            self.retryPeriod = retryPeriod
        }
    }

    /// Why leadership ended other than by the work finishing or the task being cancelled.
    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// The lease could not be renewed within the renew deadline (the API server was unreachable, or another
        /// replica took the lease).
        case leaseLost(lease: String, identity: String)
        /// The configuration is unusable.
        case invalidConfiguration(String)

        public var description: String {
            switch self {
            case .leaseLost(let lease, let identity): "lease \(lease): \(identity) lost the lease"
            case .invalidConfiguration(let detail): "leader election: \(detail)"
            }
        }
    }

    private struct Observation {
        var spec: LeaseSpec?
        var time: ContinuousClock.Instant = .now
        var isLeader = false
        var leader = ""
    }

    public let configuration: Configuration
    private let leases: ResourceClient<Lease>
    private let logger: Logger
    private let observation = Mutex(Observation())

    public init(client: KubeClient, configuration: Configuration,
                logger: Logger = Logger(label: "egressgw.kube.leader-election")) {
        self.configuration = configuration
        leases = client.resource(Lease.self, namespace: configuration.namespace)
        var logger = logger
        logger[metadataKey: "lease"] = "\(configuration.namespace)/\(configuration.leaseName)"
        logger[metadataKey: "identity"] = "\(configuration.identity)"
        self.logger = logger
    }

    /// Whether this replica holds the lease now.
    public var isLeader: Bool { observation.withLock { $0.isLeader } }

    /// The holder last seen (this replica or another); empty when none.
    public var currentLeader: String { observation.withLock { $0.leader } }

    private var leaseDescription: String { "\(configuration.namespace)/\(configuration.leaseName)" }

    /// Campaigns until this replica holds the lease, then runs `work` while renewing it.
    ///
    /// - Returns: `work`'s result; the lease is released when `work` returns or throws.
    /// - Throws: ``Failure/leaseLost(lease:identity:)`` after cancelling `work` when renewal failed; a
    ///   `CancellationError` when the calling task is cancelled (the lease is released first, so another replica
    ///   takes over without waiting for it to expire).
    public func run<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) async throws -> T {
        guard configuration.leaseDuration > configuration.renewDeadline,
              configuration.renewDeadline > configuration.retryPeriod, configuration.retryPeriod > .zero
        else {
            throw Failure.invalidConfiguration("need leaseDuration > renewDeadline > retryPeriod > 0")
        }
        do {
            try await acquire()
        } catch {
            throw CancellationError()
        }
        logger.info("became leader")
        let outcome: Result<T, any Error> = await withTaskGroup(of: Result<T, any Error>?.self) { group in
            group.addTask {
                do { return .success(try await work()) } catch { return .failure(error) }
            }
            group.addTask {
                await self.renewUntilLost()
                return Task.isCancelled ? nil : .failure(Failure.leaseLost(lease: self.leaseDescription,
                                                                           identity: self.configuration.identity))
            }
            var outcome: Result<T, any Error> = .failure(CancellationError())
            if let first = await group.next(), let first {
                outcome = first
            }
            group.cancelAll()
            return outcome
        }
        let lost: Bool
        if case .failure(let error) = outcome, error as? Failure != nil { lost = true } else { lost = false }
        observation.withLock { $0.isLeader = false }
        if lost {
            logger.error("lost the lease, stopped leading")
        } else {
            // Released from an unstructured task: the caller's task may be cancelled, the release must still go out.
            await Task { await self.release() }.value
        }
        return try outcome.get()
    }

    /// Tries every retry period until the lease is ours; throws only when cancelled.
    private func acquire() async throws {
        while true {
            try Task.checkCancellation()
            if await tryAcquireOrRenew() { return }
            try await Task.sleep(for: jittered(configuration.retryPeriod))
        }
    }

    /// Renews every retry period; returns when a renew deadline passed without success, or when cancelled.
    private func renewUntilLost() async {
        var lastRenewal = ContinuousClock.now
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: configuration.retryPeriod)
            } catch {
                return
            }
            let deadline = lastRenewal + configuration.renewDeadline
            if await withDeadline(deadline, { await self.tryAcquireOrRenew() }) == true {
                lastRenewal = .now
            } else if ContinuousClock.now >= deadline {
                return
            }
        }
    }

    /// One attempt, as client-go's tryAcquireOrRenew: create the lease, or take it when free or expired, or renew
    /// it when ours. Any failure (conflict with another candidate, unreachable server) is just "not now".
    private func tryAcquireOrRenew() async -> Bool {
        let now = MicroTimestamp.now()
        let durationSeconds = Int32(max(1, configuration.leaseDuration.components.seconds))
        let existing: Lease
        do {
            existing = try await leases.get(configuration.leaseName)
        } catch .notFound {
            var lease = Lease(metadata: ObjectMeta(name: configuration.leaseName, namespace: configuration.namespace))
            lease.spec = LeaseSpec(holderIdentity: configuration.identity, leaseDurationSeconds: durationSeconds,
                                   acquireTime: now, renewTime: now, leaseTransitions: 0)
            do {
                let created = try await leases.create(lease)
                observe(created.spec, leading: true)
                return true
            } catch {
                logger.debug("creating the lease failed", metadata: ["error": "\(error)"])
                return false
            }
        } catch {
            logger.debug("reading the lease failed", metadata: ["error": "\(error)"])
            return false
        }

        let holder = existing.spec.holderIdentity ?? ""
        let ours = holder == configuration.identity
        let observedTime = observe(existing.spec, leading: nil)
        if !holder.isEmpty, !ours, ContinuousClock.now < observedTime + configuration.leaseDuration {
            observation.withLock { $0.isLeader = false }
            return false
        }
        var lease = existing
        lease.spec.holderIdentity = configuration.identity
        lease.spec.leaseDurationSeconds = durationSeconds
        lease.spec.renewTime = now
        if !ours {
            lease.spec.acquireTime = now
            // As client-go counts: every change of holder, including taking a released lease.
            lease.spec.leaseTransitions = (existing.spec.leaseTransitions ?? 0) + 1
        }
        do {
            let updated = try await leases.update(lease)
            observe(updated.spec, leading: true)
            if !ours { logger.info("acquired the lease", metadata: ["previousHolder": "\(holder)"]) }
            return true
        } catch {
            logger.debug("updating the lease failed", metadata: ["error": "\(error)"])
            return false
        }
    }

    /// Records the lease spec as seen now, if it changed; returns when it was first seen in this state.
    @discardableResult
    private func observe(_ spec: LeaseSpec, leading: Bool?) -> ContinuousClock.Instant {
        observation.withLock { observation in
            if observation.spec != spec {
                observation.spec = spec
                observation.time = .now
            }
            observation.leader = spec.holderIdentity ?? ""
            if let leading { observation.isLeader = leading }
            return observation.time
        }
    }

    /// Gives the lease up if still ours, so that another replica takes over at once: the holder is cleared and the
    /// duration cut to one second, as client-go's ReleaseOnCancel does.
    private func release() async {
        do {
            var lease = try await leases.get(configuration.leaseName)
            guard lease.spec.holderIdentity == configuration.identity else { return }
            let now = MicroTimestamp.now()
            lease.spec.holderIdentity = nil
            lease.spec.leaseDurationSeconds = 1
            lease.spec.renewTime = now
            lease.spec.acquireTime = now
            _ = try await leases.update(lease)
            logger.info("released the lease")
        } catch {
            logger.warning("releasing the lease failed; others take over when it expires", metadata: ["error": "\(error)"])
        }
    }

    /// `period` plus up to 20 % (client-go's jitter factor), so that candidates do not ask in lockstep.
    private func jittered(_ period: Duration) -> Duration {
        period + period * Double.random(in: 0..<0.2)
    }
}

/// Runs `operation` until `deadline`; nil when the deadline passed first (the operation is then cancelled).
func withDeadline<T: Sendable>(
    _ deadline: ContinuousClock.Instant, _ operation: @escaping @Sendable () async -> T
) async -> T? {
    await withTaskGroup(of: T?.self) { group in
        group.addTask { await operation() }
        group.addTask {
            try? await Task.sleep(until: deadline, clock: .continuous)
            return nil
        }
        let first = await group.next() ?? nil
        group.cancelAll()
        return first
    }
}
