import EgressGatewayAPI
import Kube
import Logging

/// Reconciles a GatewayVMConfiguration (spec §4): its egress prefix, and the secondary ipconfigs of its gateway
/// pool (a VMSS model and its instances, or the NICs of a VM pool), then its status (egress prefix or IPs, one
/// profile per current gateway node, `Ready`).
///
/// The ipconfigs of a pool are computed for **every** configuration that targets it at once
/// (``IPConfigurationPlan``), so a wave of new SGCs on one VMSS costs one model PUT and one PUT per instance, and a
/// configuration reconciled after its siblings finds nothing left to write. Requeued every 5 minutes, as in Go, to
/// heal drift that raises no event (an in-place VMSS model rollout).
public struct GatewayVMConfigurationReconciler: Sendable {
    public static let component = "gatewayVMConfiguration-controller"
    /// The drift self-heal period of the Go operator.
    public static let resyncPeriod: Duration = .seconds(300)
    /// The pool this controller last put the configuration's ipconfigs on (``GatewayPool/Kind/recorded``). When the
    /// spec moves to another pool, the old one is cleaned from it (Go leaves the old ipconfigs, and with them the
    /// prefix's addresses, behind: spec §8.2 item 10). Not in Go; a configuration without it is taken as new.
    public static let poolAnnotation = "egressgateway.kubernetes.azure.com/gateway-pool"

    let client: KubeClient
    let settings: OperatorSettings
    let fabric: any GatewayFabric
    let sgcs: ObjectStore<StaticGatewayConfiguration>
    let vmConfigurations: ObjectStore<GatewayVMConfiguration>
    let events: EventRecorder
    let metrics: ReconcileMetrics
    let logger: Logger

    public init(client: KubeClient, settings: OperatorSettings, fabric: any GatewayFabric,
                sgcs: ObjectStore<StaticGatewayConfiguration>, vmConfigurations: ObjectStore<GatewayVMConfiguration>,
                events: EventRecorder, metrics: ReconcileMetrics,
                logger: Logger = Logger(label: "egressgw.operator.vm")) {
        self.client = client
        self.settings = settings
        self.fabric = fabric
        self.sgcs = sgcs
        self.vmConfigurations = vmConfigurations
        self.events = events
        self.metrics = metrics
        self.logger = logger
    }

    public func reconcile(_ key: ObjectKey) async throws -> ReconcileResult {
        guard let vmConfiguration = vmConfigurations.get(key) else { return .done }
        let sgc = sgcs.get(key)
        let resource = "\(key.namespace)/\(key.name)"
        let cloud = settings.cloud
        if vmConfiguration.metadata.isBeingDeleted {
            guard vmConfiguration.metadata.hasFinalizer(EgressGateway.Finalizer.gatewayVMConfiguration) else {
                return .done
            }
            return try await metrics.measure(.deleteGatewayVMConfiguration, resource: resource,
                                             subscription: cloud.subscriptionID, resourceGroup: cloud.resourceGroup) {
                do {
                    try await release(vmConfiguration, sgc: sgc)
                    return .done
                } catch {
                    await record(on: sgc, type: Event.warning, reason: "EnsureDeleteGatewayVMConfigurationError",
                                 message: "\(error)")
                    throw error
                }
            }
        }
        return try await metrics.measure(.reconcileGatewayVMConfiguration, resource: resource,
                                         subscription: cloud.subscriptionID, resourceGroup: cloud.resourceGroup) {
            // The pass's own writes (the finalizer) move the object on: `Ready` is written over the latest of them,
            // or the API server refuses it as a conflict and a first pass that fails never says why.
            var current = vmConfiguration
            do {
                try await provision(&current)
            } catch {
                await record(on: sgc, type: Event.warning, reason: "ReconcileGatewayVMConfigurationError",
                             message: "\(error)")
                if !ReadyState.isTransient(error) {
                    try? await writeStatus(of: current, status: current.status ?? .init(),
                                           ready: ReadyState(reason: .waitingForGatewayIPs, message: "\(error)"))
                }
                throw error
            }
            await record(on: sgc, type: Event.normal, reason: "ReconcileGatewayVMConfigurationSuccess",
                         message: "GatewayVMConfiguration reconciled")
            return .requeueAfter(Self.resyncPeriod)
        }
    }

    /// The other configurations of the same pool, not being deleted: their ipconfigs stay. Pools are compared
    /// resolved, once per distinct target, because one pool can be named two ways (`gatewayNodepoolName`, or the
    /// VMSS in `gatewayVmssProfile`): comparing the specs as written made two such configurations remove each
    /// other's ipconfigs on every pass. A pool that does not exist is no sibling; any other failure to resolve
    /// one fails the pass, which is retried, rather than removing an ipconfig that may well be a sibling's.
    /// - Parameter specPool: whether `pool` is the one the configuration's spec names now (not its former pool).
    private func siblings(of vmConfiguration: GatewayVMConfiguration, in pool: GatewayPool,
                          specPool: Bool = true) async throws -> [GatewayVMConfiguration] {
        var pools: [PoolKey: GatewayPool?] = specPool ? [PoolKey(vmConfiguration.spec): pool] : [:]
        var siblings: [GatewayVMConfiguration] = []
        // Siblings not reconciled yet are included too: that is the batching. Should one be deleted before its
        // own first pass, the next pass of any configuration of the pool removes its ipconfig again.
        for other in vmConfigurations.list()
        where other.metadata.uid != vmConfiguration.metadata.uid && !other.metadata.isBeingDeleted {
            let key = PoolKey(other.spec)
            if pools[key] == nil {
                do {
                    pools[key] = try await GatewayPoolResolver.resolve(other.spec, fabric: fabric)
                } catch is GatewayPoolError {
                    pools[key] = .some(nil)
                }
            }
            if pools[key]??.kind == pool.kind { siblings.append(other) }
        }
        return siblings
    }

    // MARK: Provisioning

    /// - Parameter vmConfiguration: the observed object; on return, as the API server last stored it in this pass.
    private func provision(_ vmConfiguration: inout GatewayVMConfiguration) async throws {
        var withFinalizer = vmConfiguration
        if withFinalizer.metadata.addFinalizer(EgressGateway.Finalizer.gatewayVMConfiguration) {
            do {
                vmConfiguration = try await client.resource(GatewayVMConfiguration.self).update(withFinalizer)
            } catch {
                throw error.during("add the finalizer to GatewayVMConfiguration \(withFinalizer.objectKey)")
            }
        }
        let pool = try await GatewayPoolResolver.resolve(vmConfiguration.spec, fabric: fabric)
        // The old pool is cleaned before the record moves on, and the record before anything lands on the new pool:
        // whatever a crash interrupts, the next pass knows every pool that may hold an ipconfig of ours.
        let recorded = vmConfiguration.metadata.annotations[Self.poolAnnotation].flatMap(GatewayPool.Kind.init(recorded:))
        if let recorded, !recorded.isSame(as: pool.kind) {
            try await releaseFormerPool(recorded, of: vmConfiguration)
        }
        if recorded.map({ !$0.isSame(as: pool.kind) }) ?? true {
            var updated = vmConfiguration
            updated.metadata.annotations[Self.poolAnnotation] = pool.kind.recorded
            do {
                vmConfiguration = try await client.resource(GatewayVMConfiguration.self).update(updated)
            } catch {
                throw error.during("record the gateway pool on GatewayVMConfiguration \(updated.objectKey)")
            }
        }
        let prefix = try await PublicIPPrefixPlan.ensure(for: vmConfiguration, pool: pool, cloud: settings.cloud,
                                                         fabric: fabric)
        let own = GatewayIPConfiguration(name: Self.ipConfigurationName(vmConfiguration), prefixID: prefix?.id)
        let siblings = try await siblings(of: vmConfiguration, in: pool)
        let profiles = try await apply(own, to: pool, siblings: siblings, addingAbsent: true)
        if prefix == nil || prefix?.isManaged == false {
            // A managed prefix left from before a switch to private mode or to a bring-your-own prefix.
            try await PublicIPPrefixPlan.deleteManaged(of: vmConfiguration, cloud: settings.cloud, fabric: fabric)
        }
        var status = vmConfiguration.status ?? GatewayVMConfigurationStatus()
        status.gatewayVMProfiles = GatewayIPs.profiles(profiles)
        status.egressIpPrefix = prefix?.cidr ?? GatewayIPs.egressList(profiles.map(\.secondaryIP))
        let ready = status.egressIpPrefix.isEmpty
            ? ReadyState(reason: .waitingForGatewayIPs, message: "no gateway node has an egress IP yet")
            : .provisioned
        try await writeStatus(of: vmConfiguration, status: status, ready: ready)
    }

    private func writeStatus(of vmConfiguration: GatewayVMConfiguration, status: GatewayVMConfigurationStatus,
                             ready: ReadyState) async throws {
        var updated = vmConfiguration
        var status = status
        status.setReady(ready, generation: vmConfiguration.metadata.generation)
        updated.status = status
        guard updated.status != vmConfiguration.status else { return }
        do {
            _ = try await client.resource(GatewayVMConfiguration.self).updateStatus(updated)
        } catch {
            throw error.during("update the status of GatewayVMConfiguration \(vmConfiguration.objectKey)")
        }
    }

    // MARK: Deletion

    /// Removes this configuration's ipconfigs (and the backend reference with the last one), then its managed
    /// prefix, then the finalizer. A pool that no longer exists has nothing to clean: a Warning says so and the
    /// object is released (Go keeps the finalizer forever, spec §8.2 item 12).
    private func release(_ vmConfiguration: GatewayVMConfiguration, sgc: StaticGatewayConfiguration?) async throws {
        var releasedFrom: GatewayPool.Kind?
        do {
            let pool = try await GatewayPoolResolver.resolve(vmConfiguration.spec, fabric: fabric)
            try await remove(vmConfiguration, from: pool, siblings: try await siblings(of: vmConfiguration, in: pool))
            releasedFrom = pool.kind
        } catch let error as GatewayPoolError {
            await record(on: sgc, type: Event.warning, reason: "EnsureDeleteGatewayVMConfigurationError",
                         message: "\(error); no ipconfigs left to remove")
        }
        // Deleted after its spec moved and before a pass cleaned the pool it was on.
        if let recorded = vmConfiguration.metadata.annotations[Self.poolAnnotation].flatMap(GatewayPool.Kind.init(recorded:)),
           !(releasedFrom.map(recorded.isSame(as:)) ?? false)
        {
            try await releaseFormerPool(recorded, of: vmConfiguration)
        }
        try await PublicIPPrefixPlan.deleteManaged(of: vmConfiguration, cloud: settings.cloud, fabric: fabric)
        var released = vmConfiguration
        released.metadata.removeFinalizer(EgressGateway.Finalizer.gatewayVMConfiguration)
        do {
            _ = try await client.resource(GatewayVMConfiguration.self).update(released)
        } catch .notFound {
        } catch {
            throw error.during("remove the finalizer of GatewayVMConfiguration \(vmConfiguration.objectKey)")
        }
    }

    /// Removes this configuration's ipconfigs (and public IPs on VM pools) from a pool it no longer targets. ARM's
    /// errors name the old pool's resources; they pass through unwrapped so that `Retry-After` still applies.
    private func releaseFormerPool(_ kind: GatewayPool.Kind, of vmConfiguration: GatewayVMConfiguration) async throws {
        guard let pool = try await GatewayPoolResolver.resolve(recorded: kind, fabric: fabric) else { return }
        logger.info("removing a GatewayVMConfiguration from the pool it no longer targets",
                    metadata: ["object": "\(vmConfiguration.objectKey)", "pool": "\(kind.recorded)"])
        let siblings = try await siblings(of: vmConfiguration, in: pool, specPool: false)
        try await remove(vmConfiguration, from: pool, siblings: siblings)
    }

    private func remove(_ vmConfiguration: GatewayVMConfiguration, from pool: GatewayPool,
                        siblings: [GatewayVMConfiguration]) async throws {
        _ = try await apply(nil, to: pool, siblings: siblings, addingAbsent: false,
                            releasingPublicIPsOf: publicIPPrefixName(of: vmConfiguration))
    }

    /// The pool's ipconfigs as `own` (nil: none of this configuration) and `siblings` want them.
    private func apply(_ own: GatewayIPConfiguration?, to pool: GatewayPool, siblings: [GatewayVMConfiguration],
                       addingAbsent: Bool, releasingPublicIPsOf releasedPrefix: String? = nil) async throws
        -> [GatewayVMProfile]
    {
        switch pool.kind {
        case .scaleSet(let group, let name):
            try await applyToScaleSet(group: group, name: name, pool: pool, own: own, siblings: siblings,
                                      addingAbsent: addingAbsent)
        case .virtualMachines(let nodepoolName):
            try await applyToNetworkInterfaces(nodepoolName: nodepoolName, pool: pool, own: own, siblings: siblings,
                                               addingAbsent: addingAbsent, releasingPublicIPsOf: releasedPrefix)
        }
    }

    /// The name of the prefix a public-mode configuration takes its addresses from (managed or its own), nil in
    /// private mode or for a malformed ID (which never got an address).
    private func publicIPPrefixName(of vmConfiguration: GatewayVMConfiguration) -> String? {
        let spec = vmConfiguration.spec
        guard spec.provisionPublicIps else { return nil }
        guard !spec.publicIpPrefixId.isEmpty else { return Self.ipConfigurationName(vmConfiguration) }
        return try? ARMResourceID(parsing: spec.publicIpPrefixId).name
    }

    private func record(on sgc: StaticGatewayConfiguration?, type: String, reason: String, message: String) async {
        guard let sgc else { return }
        await events.record(sgc, type: type, reason: reason, message: message)
    }
}
