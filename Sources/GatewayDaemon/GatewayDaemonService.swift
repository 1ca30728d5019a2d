import ServiceLifecycle

/// The daemon as a ServiceLifecycle service: it runs until the group shuts down, then stops the
/// userspace WireGuard implementations it started. Put it before the probe server in the
/// group's list: a group stops its services in reverse order, so the probes fail and drain
/// first, and the tunnels go only once the load balancer has moved them away.
public struct GatewayDaemonService: Service {
    public let daemon: GatewayDaemon
    private let onSynced: @Sendable () -> Void

    /// - Parameter onSynced: called once every informer holds its first list (readiness).
    public init(daemon: GatewayDaemon, onSynced: @escaping @Sendable () -> Void = {}) {
        self.daemon = daemon
        self.onSynced = onSynced
    }

    public func run() async throws {
        await withDiscardingTaskGroup { group in
            group.addTask {
                await daemon.waitUntilSynced()
                if !Task.isCancelled { onSynced() }
            }
            group.addTask { try? await cancelWhenGracefulShutdown { await daemon.run() } }
        }
        await daemon.implementations?.stopAll()
    }
}
