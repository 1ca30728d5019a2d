import EgressGatewayAPI
import Kube
import Logging

/// Reconciles a GatewayVMConfiguration (spec §4): its egress prefix, and the secondary ipconfigs of its gateway
/// VMSS model and instances, then its status (egress prefix or IPs, one profile per gateway node, `Ready`).
///
/// The ipconfigs of a pool are computed for **every** configuration that targets it at once
/// (``IPConfigurationPlan``), so a wave of new SGCs on one VMSS costs one model PUT and one PUT per instance, and a
/// configuration reconciled after its siblings finds nothing left to write. Requeued every 5 minutes, as in Go, to
/// heal drift that raises no event (an in-place VMSS model rollout).
public struct GatewayVMConfigurationReconciler: Sendable {
    public static let component = "gatewayVMConfiguration-controller"
    /// The drift self-heal period of the Go operator.
    public static let resyncPeriod: Duration = .seconds(300)

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
            do {
                try await provision(vmConfiguration)
            } catch {
                await record(on: sgc, type: Event.warning, reason: "ReconcileGatewayVMConfigurationError",
                             message: "\(error)")
                try? await writeStatus(of: vmConfiguration, status: vmConfiguration.status ?? .init(),
                                       ready: ReadyState(reason: .waitingForGatewayIPs, message: "\(error)"))
                throw error
            }
            await record(on: sgc, type: Event.normal, reason: "ReconcileGatewayVMConfigurationSuccess",
                         message: "GatewayVMConfiguration reconciled")
            return .requeueAfter(Self.resyncPeriod)
        }
    }

    /// The other configurations of the same pool, not being deleted: their ipconfigs stay.
    private func siblings(of vmConfiguration: GatewayVMConfiguration) -> [GatewayVMConfiguration] {
        vmConfigurations.list().filter { other in
            // Siblings not reconciled yet are included too: that is the batching. Should one be deleted before its
            // own first pass, the next pass of any configuration of the pool removes its ipconfig again.
            other.metadata.uid != vmConfiguration.metadata.uid && !other.metadata.isBeingDeleted
                && samePool(other.spec, vmConfiguration.spec)
        }
    }

    private func samePool(_ lhs: some GatewayTargetSpec, _ rhs: some GatewayTargetSpec) -> Bool {
        if !lhs.gatewayNodepoolName.isEmpty || !rhs.gatewayNodepoolName.isEmpty {
            return lhs.gatewayNodepoolName.lowercased() == rhs.gatewayNodepoolName.lowercased()
        }
        return lhs.gatewayVmssProfile.vmssResourceGroup.lowercased() == rhs.gatewayVmssProfile.vmssResourceGroup.lowercased()
            && lhs.gatewayVmssProfile.vmssName == rhs.gatewayVmssProfile.vmssName
    }

    // MARK: Provisioning

    private func provision(_ observed: GatewayVMConfiguration) async throws {
        var vmConfiguration = observed
        if vmConfiguration.metadata.addFinalizer(EgressGateway.Finalizer.gatewayVMConfiguration) {
            do {
                vmConfiguration = try await client.resource(GatewayVMConfiguration.self).update(vmConfiguration)
            } catch {
                throw error.during("add the finalizer to GatewayVMConfiguration \(observed.objectKey)")
            }
        }
        let pool = try await GatewayPoolResolver.resolve(vmConfiguration.spec, fabric: fabric)
        guard case .scaleSet(let group, let name) = pool.kind else {
            throw OperatorError.fabric("gateway pool \(vmConfiguration.spec.gatewayNodepoolName) is a VM agent pool, "
                + "which this operator does not provision yet")
        }
        let prefix = try await PublicIPPrefixPlan.ensure(for: vmConfiguration, pool: pool, cloud: settings.cloud,
                                                         fabric: fabric)
        var wanted = [GatewayIPConfiguration(
            name: EgressGateway.managedResourceName(gatewayVMConfigurationUID: vmConfiguration.metadata.uid),
            prefixID: prefix?.id)]
        for sibling in siblings(of: vmConfiguration) {
            // A sibling whose prefix fails reports that itself; it must not block this configuration.
            let siblingPrefix: PublicIPPrefixPlan.Resolved?
            do {
                siblingPrefix = try await PublicIPPrefixPlan.ensure(for: sibling, pool: pool, cloud: settings.cloud,
                                                                    fabric: fabric)
            } catch {
                continue
            }
            wanted.append(GatewayIPConfiguration(
                name: EgressGateway.managedResourceName(gatewayVMConfigurationUID: sibling.metadata.uid),
                prefixID: siblingPrefix?.id))
        }
        let profiles = try await applyToScaleSet(group: group, name: name, pool: pool, wanted: wanted,
                                                 collecting: wanted[0].name)
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

    /// Applies `wanted` to the VMSS model and every instance; returns the node profiles for the ipconfig `collecting`.
    private func applyToScaleSet(group: String, name: String, pool: GatewayPool, wanted: [GatewayIPConfiguration],
                                 collecting ipconfig: String?) async throws -> [GatewayVMProfile] {
        let backendID = settings.cloud.backendID(pool.id)
        guard let model = try await fabric.scaleSetInterfaces(resourceGroup: group, name: name) else {
            throw OperatorError.fabric("vmss(\(name)) has empty network profile")
        }
        if let changed = try IPConfigurationPlan.apply(wanted, to: model, backendID: backendID, owner: "vmss(\(name))") {
            try await fabric.putScaleSetInterfaces(resourceGroup: group, name: name, changed)
        }
        var profiles: [GatewayVMProfile] = []
        for var instance in try await fabric.scaleSetInstances(resourceGroup: group, name: name) {
            let owner = "vmss(\(name)) instance(\(instance.instanceID))"
            let changed = try IPConfigurationPlan.apply(wanted, to: instance.interfaces, backendID: backendID, owner: owner)
            let failed = instance.provisioningState?.lowercased() == "failed"
            let missingIP = ipconfig.map { instance.privateIPs[$0, default: ""].isEmpty } ?? false
            if changed != nil || failed || missingIP {
                instance = try await fabric.putScaleSetInstanceInterfaces(
                    resourceGroup: group, name: name, instanceID: instance.instanceID, changed ?? instance.interfaces)
            }
            guard let ipconfig else { continue }
            guard let computerName = instance.computerName else {
                throw OperatorError.fabric("vmss vm(\(instance.instanceID)) has empty os profile")
            }
            let primary = instance.interfaces.first(where: \.primary)?.ipConfigurations.first { $0.primary == true }
            let primaryIP = primary.flatMap { instance.privateIPs[$0.name] } ?? ""
            let secondaryIP = instance.privateIPs[ipconfig] ?? ""
            guard !primaryIP.isEmpty, !secondaryIP.isEmpty else {
                throw OperatorError.fabric(
                    "failed to find private IP from vmss(\(name)), instance(\(instance.instanceID)), ipConfig(\(ipconfig))")
            }
            profiles.append(GatewayVMProfile(nodeName: computerName, primaryIP: primaryIP, secondaryIP: secondaryIP))
        }
        return profiles
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
        do {
            let pool = try await GatewayPoolResolver.resolve(vmConfiguration.spec, fabric: fabric)
            if case .scaleSet(let group, let name) = pool.kind {
                let wanted = siblings(of: vmConfiguration).map { sibling in
                    GatewayIPConfiguration(
                        name: EgressGateway.managedResourceName(gatewayVMConfigurationUID: sibling.metadata.uid),
                        prefixID: sibling.spec.provisionPublicIps
                            ? (sibling.spec.publicIpPrefixId.isEmpty
                                ? settings.cloud.publicIPPrefixID(EgressGateway.managedResourceName(
                                    gatewayVMConfigurationUID: sibling.metadata.uid))
                                : sibling.spec.publicIpPrefixId)
                            : nil)
                }
                _ = try await applyToScaleSet(group: group, name: name, pool: pool, wanted: wanted, collecting: nil)
            }
        } catch let error as GatewayPoolError {
            await record(on: sgc, type: Event.warning, reason: "EnsureDeleteGatewayVMConfigurationError",
                         message: "\(error); no ipconfigs left to remove")
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

    private func record(on sgc: StaticGatewayConfiguration?, type: String, reason: String, message: String) async {
        guard let sgc else { return }
        await events.record(sgc, type: type, reason: reason, message: message)
    }
}
