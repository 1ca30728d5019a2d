import EgressGatewayAPI
import Kube
import Logging

/// Reconciles a GatewayLBConfiguration (spec §3): its pool's frontend and backend and its own UDP rule and HTTP
/// probe on the internal load balancer, its GatewayVMConfiguration child, and its status (frontend IP, port, egress
/// prefix copied up from the VM configuration, and `Ready`). Events go on the owning SGC, as in Go.
///
/// Differences from Go (spec §8.2): status-write errors fail the pass; an SGC or pool that is already gone does not
/// hold the finalizer forever: what can be cleaned is cleaned, a Warning says what could not, and the object is
/// released. The LB is written only when the computed one differs from the one read.
public struct GatewayLBConfigurationReconciler: Sendable {
    public static let component = "gatewayLBConfiguration-controller"

    let client: KubeClient
    let settings: OperatorSettings
    let fabric: any GatewayFabric
    let sgcs: ObjectStore<StaticGatewayConfiguration>
    let lbConfigurations: ObjectStore<GatewayLBConfiguration>
    let vmConfigurations: ObjectStore<GatewayVMConfiguration>
    let events: EventRecorder
    let metrics: ReconcileMetrics
    let logger: Logger

    public init(client: KubeClient, settings: OperatorSettings, fabric: any GatewayFabric,
                sgcs: ObjectStore<StaticGatewayConfiguration>, lbConfigurations: ObjectStore<GatewayLBConfiguration>,
                vmConfigurations: ObjectStore<GatewayVMConfiguration>, events: EventRecorder,
                metrics: ReconcileMetrics, logger: Logger = Logger(label: "egressgw.operator.lb")) {
        self.client = client
        self.settings = settings
        self.fabric = fabric
        self.sgcs = sgcs
        self.lbConfigurations = lbConfigurations
        self.vmConfigurations = vmConfigurations
        self.events = events
        self.metrics = metrics
        self.logger = logger
    }

    public func reconcile(_ key: ObjectKey) async throws -> ReconcileResult {
        guard let lbConfiguration = lbConfigurations.get(key) else { return .done }
        let sgc = sgcs.get(key)
        let resource = "\(key.namespace)/\(key.name)"
        let cloud = settings.cloud
        if lbConfiguration.metadata.isBeingDeleted {
            guard lbConfiguration.metadata.hasFinalizer(EgressGateway.Finalizer.gatewayLBConfiguration) else {
                return .done
            }
            return try await metrics.measure(.deleteGatewayLBConfiguration, resource: resource,
                                             subscription: cloud.subscriptionID,
                                             resourceGroup: cloud.loadBalancerResourceGroup) {
                do {
                    return try await release(lbConfiguration, sgc: sgc)
                } catch {
                    await record(on: sgc, type: Event.warning, reason: "EnsureDeleteGatewayLBConfigurationError",
                                 message: "\(error)")
                    throw error
                }
            }
        }
        // Go needs the SGC even here and requeues forever without it; its deletion will garbage-collect this one.
        guard let sgc else { return .done }
        return try await metrics.measure(.reconcileGatewayLBConfiguration, resource: resource,
                                         subscription: cloud.subscriptionID,
                                         resourceGroup: cloud.loadBalancerResourceGroup) {
            // The pass's own writes (the finalizer) move the object on: `Ready` is written over the latest of them,
            // or the API server refuses it as a conflict and a first pass that fails never says why.
            var current = lbConfiguration
            do {
                try await provision(&current, sgc: sgc)
            } catch {
                await record(on: sgc, type: Event.warning, reason: "ReconcileGatewayLBConfigurationError",
                             message: "\(error)")
                if !ReadyState.isTransient(error) {
                    try? await writeStatus(current, ready: ReadyState(
                        reason: .waitingForLoadBalancer, message: "\(error)"), from: current)
                }
                throw error
            }
            await record(on: sgc, type: Event.normal, reason: "ReconcileGatewayLBConfigurationSuccess",
                         message: "GatewayLBConfiguration reconciled")
            return .done
        }
    }

    private func target(_ lbConfiguration: GatewayLBConfiguration, pool: GatewayPool) -> LoadBalancerTarget {
        // The probe path names the SGC by the owner reference that carries the LB configuration's own name.
        let sgcUID = lbConfiguration.metadata.ownerReferences.first { $0.name == lbConfiguration.metadata.name }?.uid ?? ""
        return LoadBalancerTarget(
            poolID: pool.id, ruleName: lbConfiguration.metadata.uid,
            probePath: EgressGateway.probePath(staticGatewayConfigurationUID: sgcUID),
            probePort: settings.gatewayLBProbePort, cloud: settings.cloud)
    }

    // MARK: Provisioning

    /// - Parameter lbConfiguration: the observed object; on return, as the API server last stored it in this pass.
    private func provision(_ lbConfiguration: inout GatewayLBConfiguration,
                           sgc: StaticGatewayConfiguration) async throws {
        var withFinalizer = lbConfiguration
        if withFinalizer.metadata.addFinalizer(EgressGateway.Finalizer.gatewayLBConfiguration) {
            do {
                lbConfiguration = try await client.resource(GatewayLBConfiguration.self).update(withFinalizer)
            } catch {
                throw error.during("add the finalizer to GatewayLBConfiguration \(withFinalizer.objectKey)")
            }
        }
        let pool = try await GatewayPoolResolver.resolve(lbConfiguration.spec, fabric: fabric)
        let target = target(lbConfiguration, pool: pool)
        let current = try await fabric.loadBalancer()
        // The load balancer is shared: one pass puts every waiting configuration in, so that a wave of new SGCs
        // costs one PUT (and their VM configurations then appear together, which batches the VMSS writes too).
        var desired = current
        var subnet: String?
        for next in try await [target] + siblingTargets(of: lbConfiguration, resolved: pool) {
            if subnet == nil, LoadBalancerPlan.needsFrontend(desired, target: next) {
                subnet = try await fabric.frontendSubnetID()
            }
            if next == target {
                desired = try LoadBalancerPlan.provision(desired, target: next, subnetID: subnet).loadBalancer
            } else if let planned = try? LoadBalancerPlan.provision(desired, target: next, subnetID: subnet) {
                // A sibling that cannot fit is left out; it reports that in its own pass.
                desired = planned.loadBalancer
            }
        }
        if let planned = desired { desired = LoadBalancerPlan.pruneAbandonedPools(planned) }
        if let desired, desired != current { _ = try await fabric.putLoadBalancer(desired) }
        // Read back through the plan: an unchanged result gives this configuration's port and frontend IP.
        let plan = try LoadBalancerPlan.provision(try await fabric.loadBalancer(), target: target, subnetID: subnet)
        guard let frontendIP = plan.frontendIP, !frontendIP.isEmpty else {
            throw LoadBalancerError.frontendIPMissing
        }

        // The backend pool exists now, so the VM configuration's ipconfigs can reference it.
        let vmConfiguration = try await reconcileVMConfiguration(of: lbConfiguration)
        var updated = lbConfiguration
        var status = updated.status ?? GatewayLBConfigurationStatus()
        status.frontendIp = frontendIP
        status.serverPort = plan.port
        var ready = ReadyState(reason: .waitingForGatewayIPs, message: "waiting for the gateway egress IPs")
        if let vmConfiguration, !vmConfiguration.metadata.isBeingDeleted, let vmStatus = vmConfiguration.status {
            status.egressIpPrefix = vmStatus.egressIpPrefix
            // A VM configuration the Go operator wrote has no condition: its egress prefix says it all.
            if let child = vmStatus.readyCondition, child.status != .true,
                let reason = ReadyReason(rawValue: child.reason)
            {
                ready = ReadyState(reason: reason, message: child.message)
            } else if !vmStatus.egressIpPrefix.isEmpty {
                ready = .provisioned
            }
        }
        updated.status = status
        try await writeStatus(updated, ready: ready, from: lbConfiguration)
    }

    /// The targets of the other live configurations, each given this controller's finalizer first (a rule must
    /// not enter the load balancer before the finalizer that guarantees its removal). Pools are resolved once per
    /// distinct target; configurations whose pool cannot be resolved are left to their own pass.
    private func siblingTargets(of lbConfiguration: GatewayLBConfiguration,
                                resolved pool: GatewayPool) async throws -> [LoadBalancerTarget] {
        var pools = [PoolKey(lbConfiguration.spec): pool]
        var targets: [LoadBalancerTarget] = []
        for var sibling in lbConfigurations.list()
        where sibling.metadata.uid != lbConfiguration.metadata.uid && !sibling.metadata.isBeingDeleted
            && sgcs.get(sibling.objectKey) != nil
        {
            if sibling.metadata.addFinalizer(EgressGateway.Finalizer.gatewayLBConfiguration) {
                guard let updated = try? await client.resource(GatewayLBConfiguration.self).update(sibling) else {
                    continue
                }
                sibling = updated
            }
            let key = PoolKey(sibling.spec)
            if pools[key] == nil {
                pools[key] = try? await GatewayPoolResolver.resolve(sibling.spec, fabric: fabric)
            }
            guard let siblingPool = pools[key] else { continue }
            targets.append(target(sibling, pool: siblingPool))
        }
        return targets
    }

    /// Creates or updates the VM configuration; nil while the cache lags behind a create.
    private func reconcileVMConfiguration(of lbConfiguration: GatewayLBConfiguration) async throws
        -> GatewayVMConfiguration?
    {
        let api = client.resource(GatewayVMConfiguration.self)
        let owner = OwnerReference(controlledBy: lbConfiguration)
        guard var child = vmConfigurations.get(lbConfiguration.objectKey) else {
            var created = GatewayVMConfiguration(
                metadata: ObjectMeta(name: lbConfiguration.metadata.name, namespace: lbConfiguration.metadata.namespace),
                spec: GatewayVMConfigurationSpec(copying: lbConfiguration.spec))
            created.metadata.ownerReferences = [owner]
            do {
                return try await api.create(created)
            } catch .alreadyExists {
                return nil
            } catch {
                throw error.during("create GatewayVMConfiguration \(lbConfiguration.objectKey)")
            }
        }
        if let controller = child.metadata.controllerReference, controller.uid != lbConfiguration.metadata.uid {
            throw OperatorError.ownedByAnother(child: "GatewayVMConfiguration \(lbConfiguration.objectKey)",
                                               owner: "\(controller.kind) \(controller.name) (uid \(controller.uid))")
        }
        let before = child
        child.spec.copyTarget(from: lbConfiguration.spec)
        if child.metadata.controllerReference == nil { child.metadata.ownerReferences.append(owner) }
        guard child != before else { return child }
        do {
            return try await api.update(child)
        } catch {
            throw error.during("update GatewayVMConfiguration \(lbConfiguration.objectKey)")
        }
    }

    private func writeStatus(_ lbConfiguration: GatewayLBConfiguration, ready: ReadyState,
                             from observed: GatewayLBConfiguration) async throws {
        var updated = lbConfiguration
        var status = updated.status ?? GatewayLBConfigurationStatus()
        status.setReady(ready, generation: lbConfiguration.metadata.generation)
        updated.status = status
        guard updated.status != observed.status else { return }
        do {
            _ = try await client.resource(GatewayLBConfiguration.self).updateStatus(updated)
        } catch {
            throw error.during("update the status of GatewayLBConfiguration \(lbConfiguration.objectKey)")
        }
    }

    // MARK: Deletion

    /// How long a released configuration waits for siblings deleted with it before it writes alone (see
    /// ``LoadBalancerPlan/releaseDelay(pendingSiblings:deletedFor:window:)``): long enough for a wave of VM
    /// configurations to release their ipconfigs and prefixes one after the other.
    static let releaseBatchWindow: Duration = .seconds(120)

    /// Waits for the VM configuration to go (it releases the ipconfigs that reference the backend), then removes
    /// this configuration's rule and probe, and the pool's frontend and backend when no rule uses them.
    ///
    /// Deletions are batched as provisioning is: the pass also removes the rules of the siblings being deleted whose
    /// VM configurations are gone, and releases their finalizers, so a wave of deleted SGCs costs one load balancer
    /// write. While siblings deleted with this one still wait for their VM configurations, it leaves the write to
    /// the last of them (bounded by ``releaseBatchWindow``).
    private func release(_ lbConfiguration: GatewayLBConfiguration,
                         sgc: StaticGatewayConfiguration?) async throws -> ReconcileResult {
        guard try await deleteVMConfiguration(of: lbConfiguration) else { return .done }
        let siblings = releasingSiblings(of: lbConfiguration)
        let now = Timestamp.now()
        let elapsed = Duration.seconds(max(0, now.secondsSince1970
            - (lbConfiguration.metadata.deletionTimestamp ?? now).secondsSince1970))
        if let delay = LoadBalancerPlan.releaseDelay(pendingSiblings: siblings.pending, deletedFor: elapsed,
                                                      window: Self.releaseBatchWindow) {
            return .requeueAfter(delay)
        }
        // A sibling is released with this one only once the API server, not just the cache, says its VM
        // configuration is gone.
        var batch: [GatewayLBConfiguration] = []
        for sibling in siblings.ready {
            if try await !vmConfigurationExists(of: sibling) { batch.append(sibling) }
        }
        if let current = try await fabric.loadBalancer() {
            var pools: [PoolKey: Result<GatewayPool, GatewayPoolError>] = [:]
            var targets = [try await releaseTarget(lbConfiguration, sgc: sgc, pools: &pools)]
            for sibling in batch {
                targets.append(try await releaseTarget(sibling, sgc: sgcs.get(sibling.objectKey), pools: &pools))
            }
            switch LoadBalancerPlan.release(current, targets: targets) {
            case .unchanged: break
            case .put(let released): _ = try await fabric.putLoadBalancer(released)
            case .delete: try await fabric.deleteLoadBalancer()
            }
        }
        try await removeFinalizer(of: lbConfiguration)
        for sibling in batch {
            do {
                try await removeFinalizer(of: sibling)
            } catch {
                // Its rule is gone: its own pass (requeued when it chose to wait) finds nothing to write and
                // releases it then.
                logger.info("could not release a sibling GatewayLBConfiguration; its own pass will",
                            metadata: ["object": "\(sibling.objectKey)", "error": "\(error)"])
            }
        }
        return .done
    }

    /// Deletes the VM configuration of `lbConfiguration`; true when it is gone already. Its Delete event brings
    /// the owner back.
    private func deleteVMConfiguration(of lbConfiguration: GatewayLBConfiguration) async throws -> Bool {
        do {
            return try await client.resource(GatewayVMConfiguration.self, namespace: lbConfiguration.metadata.namespace)
                .delete(lbConfiguration.metadata.name) == nil
        } catch .notFound {
            return true
        } catch {
            throw error.during("delete GatewayVMConfiguration \(lbConfiguration.objectKey)")
        }
    }

    /// Whether the API server (not just the cache) still holds the VM configuration of `lbConfiguration`.
    private func vmConfigurationExists(of lbConfiguration: GatewayLBConfiguration) async throws -> Bool {
        do {
            _ = try await client.resource(GatewayVMConfiguration.self, namespace: lbConfiguration.metadata.namespace)
                .get(lbConfiguration.metadata.name)
            return true
        } catch .notFound {
            return false
        } catch {
            throw error.during("get GatewayVMConfiguration \(lbConfiguration.objectKey)")
        }
    }

    /// The other configurations that hold this controller's finalizer and are on their way out (being deleted, or
    /// their SGC is): `ready` when they are being deleted and the cache holds no VM configuration of theirs any
    /// more, `pending` counts the rest.
    private func releasingSiblings(of lbConfiguration: GatewayLBConfiguration)
        -> (ready: [GatewayLBConfiguration], pending: Int)
    {
        var ready: [GatewayLBConfiguration] = []
        var pending = 0
        for sibling in lbConfigurations.list()
        where sibling.metadata.uid != lbConfiguration.metadata.uid
            && sibling.metadata.hasFinalizer(EgressGateway.Finalizer.gatewayLBConfiguration)
        {
            let owner = sgcs.get(sibling.objectKey)
            guard sibling.metadata.isBeingDeleted || owner == nil || owner?.metadata.isBeingDeleted == true else {
                continue
            }
            if sibling.metadata.isBeingDeleted && vmConfigurations.get(sibling.objectKey) == nil {
                ready.append(sibling)
            } else {
                pending += 1
            }
        }
        return (ready, pending)
    }

    /// The load balancer pieces of a configuration being released. Its pool is resolved once per distinct target;
    /// when the pool is gone (and with it the frontend's users), its rule and probe can still go by name.
    private func releaseTarget(_ lbConfiguration: GatewayLBConfiguration, sgc: StaticGatewayConfiguration?,
                               pools: inout [PoolKey: Result<GatewayPool, GatewayPoolError>]) async throws
        -> LoadBalancerTarget
    {
        let key = PoolKey(lbConfiguration.spec)
        if pools[key] == nil {
            do {
                pools[key] = .success(try await GatewayPoolResolver.resolve(lbConfiguration.spec, fabric: fabric))
            } catch let error as GatewayPoolError {
                pools[key] = .failure(error)
            }
        }
        switch pools[key] {
        case .success(let pool): return target(lbConfiguration, pool: pool)
        case .failure(let error):
            await record(on: sgc, type: Event.warning, reason: "EnsureDeleteGatewayLBConfigurationError",
                         message: "\(error); removing the rule and probe only")
        case nil: break
        }
        return LoadBalancerTarget(poolID: "", ruleName: lbConfiguration.metadata.uid, probePath: "",
                                  probePort: settings.gatewayLBProbePort, cloud: settings.cloud)
    }

    private func removeFinalizer(of lbConfiguration: GatewayLBConfiguration) async throws {
        var released = lbConfiguration
        released.metadata.removeFinalizer(EgressGateway.Finalizer.gatewayLBConfiguration)
        do {
            _ = try await client.resource(GatewayLBConfiguration.self).update(released)
        } catch .notFound {
        } catch {
            throw error.during("remove the finalizer of GatewayLBConfiguration \(lbConfiguration.objectKey)")
        }
    }

    private func record(on sgc: StaticGatewayConfiguration?, type: String, reason: String, message: String) async {
        guard let sgc else { return }
        await events.record(sgc, type: type, reason: reason, message: message)
    }
}
