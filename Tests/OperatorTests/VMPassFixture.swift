import ARMEmulator
import EgressGatewayAPI
import Kube
import Operator
import Testing

/// The GatewayVMConfiguration reconciler alone, over the KubeEmulator and the ARMEmulator, its passes run by the
/// test one at a time (``pass(_:)``): every ARM call of a pass is then known, and a fault scripted for one method
/// and path fails exactly that call. No SGC or LB controller runs. Each configuration has its SGC (where the
/// events go), and the load balancer holds a backend pool per gateway pool, as the LB controller leaves it:
/// ARM refuses an ipconfig that names a backend pool which does not exist.
struct VMPassFixture: Sendable {
    static let namespace = "default"
    static let scaleSet = AzureFabricTests.scaleSet

    let harness: OperatorHarness
    let emulator: ARMEmulator
    let reconciler: GatewayVMConfigurationReconciler
    let sgcInformer: Informer<StaticGatewayConfiguration>
    let vmInformer: Informer<GatewayVMConfiguration>

    static func with(seed: String = AzureFabricTests.seed,
                     _ body: @escaping @Sendable (VMPassFixture) async throws -> Void) async throws {
        try await AzureFabricTests.with(seed: seed, startsOperator: false) { harness, emulator, url in
            let sgcInformer = Informer(harness.sgcs(namespace: Self.namespace), configuration: .init(watchTimeout: 5...10))
            let vmInformer = Informer(harness.vmConfigurations(namespace: Self.namespace), configuration: .init(watchTimeout: 5...10))
            let reconciler = GatewayVMConfigurationReconciler(
                client: harness.client, settings: harness.settings, fabric: try AzureFabricTests.fabric(url: url),
                sgcs: sgcInformer.store, vmConfigurations: vmInformer.store,
                events: EventRecorder(client: harness.client, component: GatewayVMConfigurationReconciler.component),
                metrics: ReconcileMetrics(podNamespace: OperatorHarness.secretNamespace, factory: harness.metrics.factory))
            try Self.createLoadBalancer(emulator)
            let informers = Task {
                await withDiscardingTaskGroup { group in
                    group.addTask { await sgcInformer.run() }
                    group.addTask { await vmInformer.run() }
                }
            }
            defer { informers.cancel() }
            await sgcInformer.waitForSync()
            await vmInformer.waitForSync()
            try await body(VMPassFixture(harness: harness, emulator: emulator, reconciler: reconciler,
                                         sgcInformer: sgcInformer, vmInformer: vmInformer))
            informers.cancel()
            await informers.value
        }
    }

    /// The load balancer with one backend pool per scale set and per VM pool of the seed.
    static func createLoadBalancer(_ emulator: ARMEmulator) throws {
        let scaleSets = emulator.resources(.scaleSet).compactMap { $0[path: "properties", "uniqueId"]?.stringValue }
        let vmPools = Set(emulator.resources(.virtualMachine).compactMap {
            $0[path: "tags", GatewayPoolResolver.poolNameTag]?.stringValue
        }).map { EgressGateway.vmPoolID(nodepoolName: $0) }
        let id = try #require(ResourceID(AzureFabricTests.cloud.loadBalancerID))
        try emulator.create(id, [
            "location": "eastus", "sku": ["name": "Standard", "tier": "Regional"],
            "properties": ["backendAddressPools": .array((scaleSets + vmPools).map { ["name": .string($0)] })],
        ])
    }

    /// Creates the SGC `name` with `spec` and its VM configuration with the same target; returns the
    /// configuration once the reconciler's informers hold both.
    @discardableResult
    func create(_ name: String, _ spec: StaticGatewayConfigurationSpec) async throws -> GatewayVMConfiguration {
        _ = try await harness.sgcs(namespace: Self.namespace).create(sgc(name, namespace: Self.namespace, spec: spec))
        let created = try await harness.vmConfigurations(namespace: Self.namespace).create(GatewayVMConfiguration(
            metadata: ObjectMeta(name: name, namespace: Self.namespace), spec: GatewayVMConfigurationSpec(copying: spec)))
        try await caughtUp(name)
        return created
    }

    /// Waits until the informers hold the SGC and VM configuration `name` as the API server has them now.
    func caughtUp(_ name: String) async throws {
        let vm = try? await harness.vmConfigurations(namespace: Self.namespace).get(name)
        let sgc = try? await harness.sgcs(namespace: Self.namespace).get(name)
        try await waitUntil {
            vmInformer.store.get(namespace: Self.namespace, name: name)?.metadata.resourceVersion == vm?.metadata.resourceVersion
                && sgcInformer.store.get(namespace: Self.namespace, name: name)?.metadata.resourceVersion
                    == sgc?.metadata.resourceVersion
        }
    }

    /// One reconcile of the VM configuration `name` over the state the API server has now.
    func pass(_ name: String) async throws -> ReconcileResult {
        try await caughtUp(name)
        return try await reconciler.reconcile(ObjectKey(namespace: Self.namespace, name: name))
    }

    /// A pass that must fail; returns the error's text (what the events and `Ready` carry).
    func failingPass(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
        try await caughtUp(name)
        do {
            let result = try await reconciler.reconcile(ObjectKey(namespace: Self.namespace, name: name))
            Issue.record("the pass succeeded: \(result)", sourceLocation: sourceLocation)
            return ""
        } catch {
            return "\(error)"
        }
    }

    /// The VM configuration `name` as the API server has it now.
    func vmConfiguration(_ name: String) async throws -> GatewayVMConfiguration {
        try await harness.vmConfigurations(namespace: Self.namespace).get(name)
    }

    /// The events about the SGC `name`, as `Type Reason: message`.
    func events(_ name: String) async throws -> [String] {
        try await harness.events(about: name, namespace: Self.namespace).map { "\($0.type) \($0.reason): \($0.message)" }
    }

    /// ARM refuses the next `method` on the path ending in `pathSuffix` with `403 AuthorizationFailed: failed`,
    /// an answer the client does not retry.
    func refuse(_ method: String, _ pathSuffix: String) {
        emulator.enqueue(.error(status: 403, code: "AuthorizationFailed", message: "failed"),
                         for: .request(method: method, pathSuffix: pathSuffix))
    }

    /// The writes ARM answered since the log was last cleared, as `METHOD type/name` (the last two path segments),
    /// oldest first.
    var writes: [String] {
        emulator.requestLog.filter(\.isWrite).map { record in
            "\(record.method) " + record.path.split(separator: "/").suffix(2).joined(separator: "/")
        }
    }

    // MARK: The emulated Azure

    static func scaleSetID() -> ResourceID {
        ResourceID(subscription: AzureFabricTests.subscription, resourceGroup: AzureFabricTests.group, kind: .scaleSet,
                   names: [scaleSet])
    }

    static func instanceID(_ instance: String) -> ResourceID {
        ResourceID(subscription: AzureFabricTests.subscription, resourceGroup: AzureFabricTests.group,
                   kind: .scaleSetVM, names: [scaleSet, instance])
    }

    static let modelNICs = ["properties", "virtualMachineProfile", "networkProfile", "networkInterfaceConfigurations"]
    static let instanceNICs = ["properties", "networkProfileConfiguration", "networkInterfaceConfigurations"]

    /// The primary ipconfigs of the gateway scale set's model (`instance` nil) or of one instance, by name.
    func ipConfigurations(instance: String? = nil) -> [String: ARMValue] {
        let resource = emulator.resource(instance.map(Self.instanceID) ?? Self.scaleSetID())
        let nics = resource?[path: instance == nil ? Self.modelNICs : Self.instanceNICs]?.arrayValue ?? []
        let primary = nics.first { $0[path: "properties", "primary"]?.boolValue == true }
        let configurations = primary?[path: "properties", "ipConfigurations"]?.arrayValue ?? []
        return Dictionary(configurations.map { ($0["name"]?.stringValue ?? "", $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Changes the first NIC configuration of the gateway scale set's model (`instance` nil) or of one instance
    /// in the emulator, as another client's PUT would.
    func editNIC(instance: String? = nil, _ edit: (inout ARMValue) -> Void) throws {
        let id = instance.map(Self.instanceID) ?? Self.scaleSetID()
        let path = instance == nil ? Self.modelNICs : Self.instanceNICs
        var nics = try #require(emulator.resource(id)?[path: path]?.arrayValue)
        edit(&nics[0])
        var patch: ARMValue = [:]
        patch[path: path] = .array(nics)
        // Compute merges a PUT into the stored resource; arrays are replaced whole.
        try emulator.create(id, patch)
    }

    /// Removes the network profile from the gateway scale set's model (`instance` nil) or from one instance.
    func removeNetworkProfile(instance: String? = nil) throws {
        let id = instance.map(Self.instanceID) ?? Self.scaleSetID()
        var patch: ARMValue = [:]
        // `null` removes a member in Compute's merge.
        patch[path: Array((instance == nil ? Self.modelNICs : Self.instanceNICs).dropLast())] = .null
        try emulator.create(id, patch)
    }
}

extension ARMValue {
    /// The ipconfigs of a NIC configuration, changed by `edit`.
    mutating func editIPConfigurations(_ edit: (inout [ARMValue]) -> Void) {
        var configurations = self[path: "properties", "ipConfigurations"]?.arrayValue ?? []
        edit(&configurations)
        self[path: "properties", "ipConfigurations"] = .array(configurations)
    }
}
