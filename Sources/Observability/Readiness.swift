import Synchronization

/// Whether a process is ready to do its job, as the conjunction of its components' readiness.
///
/// Each component (a cache sync, an installed CNI configuration, a leader lease...) reports itself ready or not
/// with a reason; `/readyz` answers 200 only when none is pending. Liveness is separate: a process that is alive
/// but waiting (for example on a missing Secret) must not be restarted by the kubelet.
public final class Readiness: Sendable {
    private let pending = Mutex<[String: String]>([:])

    public init() {}

    /// Marks `component` as not ready, with a reason a person reading `/readyz` understands.
    public func markNotReady(_ component: String, reason: String) {
        pending.withLock { $0[component] = reason }
    }

    /// Marks `component` as ready.
    public func markReady(_ component: String) {
        _ = pending.withLock { $0.removeValue(forKey: component) }
    }

    /// The components that are not ready, sorted by name, with their reasons; empty when the process is ready.
    public var problems: [(component: String, reason: String)] {
        pending.withLock { $0 }.sorted { $0.key < $1.key }.map { (component: $0.key, reason: $0.value) }
    }

    /// True when no component is pending.
    public var isReady: Bool {
        pending.withLock { $0.isEmpty }
    }
}
