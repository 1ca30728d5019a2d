import Foundation
import Logging
import Netlink

/// Keeps the fabric namespace equal to the desired ``FabricState`` and the probes' verdicts: runs
/// one HTTP prober per backend and probe (from 168.63.129.16, at the probe's interval) and
/// re-applies the plan whenever the state or a backend's health changes. Applying an unchanged
/// plan writes nothing.
public actor FabricController {
    public let layout: SandboxLayout
    private let fabric: Fabric
    private let logger: Logger
    private var state = FabricState()
    private var healthy = Set<ProbeTarget>()
    private var probers: [ProbeTarget: Task<Void, Never>] = [:]
    private var appliedHealthy = Set<ProbeTarget>()
    private var applying = false
    private var dirty = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    public init(layout: SandboxLayout, logger: Logger) throws(SandboxError) {
        self.layout = layout
        self.fabric = try Fabric(layout: layout)
        self.logger = logger
    }

    /// Sets the desired state, starts and stops probers to match, and applies.
    @discardableResult
    public func update(_ newState: FabricState) async throws(SandboxError) -> Fabric.Changes {
        state = newState
        let targets = newState.probeTargets
        for (target, task) in probers where !targets.contains(target) {
            task.cancel()
            probers[target] = nil
            healthy.remove(target)
        }
        for target in targets where probers[target] == nil {
            probers[target] = startProber(target)
        }
        return try await reconcile()
    }

    /// The backends the kernel sends flows to: healthy by their probes, as of the last apply.
    public var healthyTargets: Set<ProbeTarget> { appliedHealthy }

    /// Stops every prober; the kernel state stays until the namespace goes.
    public func stop() {
        probers.values.forEach { $0.cancel() }
        probers = [:]
    }

    /// Applies until the kernel matches the latest state and verdicts. Actor methods interleave at
    /// each `await`, so one apply runs at a time and a change arriving during it is picked up by the
    /// same loop; a caller arriving meanwhile waits for that loop (its changes are reported there).
    @discardableResult
    private func reconcile() async throws(SandboxError) -> Fabric.Changes {
        dirty = true
        guard !applying else {
            await withCheckedContinuation { waiters.append($0) }
            return Fabric.Changes()
        }
        applying = true
        defer {
            applying = false
            waiters.forEach { $0.resume() }
            waiters = []
        }
        var total = Fabric.Changes()
        while dirty {
            dirty = false
            let verdicts = healthy
            let plan = try FabricPlan.desired(state, healthy: verdicts, layout: layout)
            let changes = try await fabric.apply(plan)
            appliedHealthy = verdicts
            total.routesAdded += changes.routesAdded
            total.routesRemoved += changes.routesRemoved
            total.firewallTables += changes.firewallTables
            total.chainsRemoved = total.chainsRemoved || changes.chainsRemoved
        }
        if !total.isEmpty { logger.info("fabric applied", metadata: ["changes": "\(total)"]) }
        return total
    }

    private func reported(_ target: ProbeTarget, healthy isHealthy: Bool) async {
        guard probers[target] != nil else { return }
        let changed = isHealthy ? healthy.insert(target).inserted : healthy.remove(target) != nil
        guard changed else { return }
        logger.info("probe verdict changed", metadata: ["target": "\(target)", "healthy": "\(isHealthy)"])
        do { try await reconcile() } catch { logger.error("fabric apply failed: \(error)") }
    }

    /// Probes `target` until cancelled. A backend starts unhealthy (Azure sends nothing to a backend
    /// before its probe passes) and changes state after `threshold` consecutive opposite results.
    private func startProber(_ target: ProbeTarget) -> Task<Void, Never> {
        let namespace = fabric.namespace
        return Task { [weak self] in
            var verdict = false
            var streak = 0
            while !Task.isCancelled {
                let passed = await Self.probe(target, from: namespace)
                streak = passed == verdict ? 0 : streak + 1
                if streak >= target.probe.threshold {
                    verdict = passed
                    streak = 0
                    await self?.reported(target, healthy: verdict)
                }
                try? await Task.sleep(for: .seconds(target.probe.intervalSeconds))
            }
        }
    }

    /// One HTTP probe on its own thread (the socket calls block).
    private static func probe(_ target: ProbeTarget, from namespace: NetworkNamespace) async -> Bool {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                let reply = try? NamespacedSocket.get(
                    in: namespace, from: SandboxLayout.probeSource, to: target.backend, port: target.probe.port,
                    path: target.probe.path, timeout: min(target.probe.intervalSeconds, 2))
                continuation.resume(returning: reply?.status == 200)
            }
        }
    }
}
