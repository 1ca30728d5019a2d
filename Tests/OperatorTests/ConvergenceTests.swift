import ARMEmulator
import EgressGatewayAPI
import Kube
import KubeEmulator
import Operator
import Testing

/// The operator against an unreliable world: ARM failing a fifth of its calls, watch streams cut, the operator
/// itself killed mid-pass. Whatever happens on the way, the end state is the one an undisturbed run reaches.
@Suite("Operator convergence under faults and restarts")
struct ConvergenceTests {
    static let pools = ["gwpool": "aks-gwpool-12345678-vmss", "gwpoolb": "aks-gwpoolb-12345678-vmss"]
    static let seed = AzureFabricTests.seed(gatewayScaleSets: [
        "{name: aks-gwpool-12345678-vmss, pool: gwpool, gatewayPrefixLength: 31, subnet: aks-vnet/aks-subnet, instances: 2}",
        "{name: aks-gwpoolb-12345678-vmss, pool: gwpoolb, gatewayPrefixLength: 31, subnet: aks-vnet/aks-subnet, instances: 2}",
    ])

    static func pool(of index: Int) -> String { index.isMultiple(of: 2) ? "gwpool" : "gwpoolb" }

    @Test("with 20 % of ARM calls failing (429, 500) and watches dropped, ten SGCs on two pools reach Ready, and deleting them leaves nothing")
    func convergesUnderFaults() async throws {
        var arm = ARMEmulator.Configuration()
        // One 429 holds every read (or write) of the client back for its Retry-After, so it costs far more than a
        // 500, which the client retries at once: 5 % of the calls are throttled, 15 % fail.
        arm.faults = ARMEmulator.FaultInjection(throttleRate: 0.05, retryAfterSeconds: 1, internalErrorRate: 0.15)
        try await AzureFabricTests.with(seed: Self.seed, emulator: arm, kubeFaults: .init(watchDropRate: 0.1),
                                        timeout: .seconds(240)) { harness, emulator, _ in
            let names = (0..<10).map { "gw\($0)" }
            for (index, name) in names.enumerated() {
                _ = try await harness.sgcs().create(sgc(name, spec: .init(gatewayNodepoolName: Self.pool(of: index))))
            }
            for name in names {
                _ = try await harness.eventually(harness.sgcs(), name) { $0.status.readyCondition?.status == .true }
            }
            #expect(emulator.requestLog.contains { $0.status == 429 } && emulator.requestLog.contains { $0.status == 500 })
            try await AzureFootprint.expectMatches(harness, emulator)

            for name in names { _ = try await harness.sgcs().delete(name) }
            try await harness.expectAllGone(names)
            #expect(AzureFootprint(emulator).leftovers.isEmpty, "\(AzureFootprint(emulator).leftovers)")
        }
    }

    @Test("an operator killed at random points of its passes and started again converges to the same Azure state, without duplicates")
    func restartSafety() async throws {
        var arm = ARMEmulator.Configuration()
        // Writes are long-running operations of about a second and answers are slow, so that the kills land
        // inside passes: between reads and the writes computed from them, and while a write's operation runs (it
        // finishes on its own, and the next operator meets AnotherOperationInProgress until then).
        arm.operationPolls = 1
        arm.pollRetryAfterSeconds = 1
        arm.operationLifetime = .seconds(1)
        arm.faults = ARMEmulator.FaultInjection(delayRate: 0.3, delay: .milliseconds(40))
        try await AzureFabricTests.with(seed: Self.seed, emulator: arm, timeout: .seconds(240),
                                        startsOperator: false) { harness, emulator, url in
            let names = (0..<6).map { "gw\($0)" }
            for (index, name) in names.enumerated() {
                _ = try await harness.sgcs().create(sgc(name, spec: .init(gatewayNodepoolName: Self.pool(of: index))))
            }
            try await Self.killRepeatedly(harness, url: url, times: 8)
            var survivor = harness.startOperator(fabric: try AzureFabricTests.fabric(url: url))
            for name in names {
                _ = try await harness.eventually(harness.sgcs(), name) { $0.status.readyCondition?.status == .true }
            }
            try await AzureFootprint.expectMatches(harness, emulator)
            survivor.cancel()
            await survivor.value

            for name in names { _ = try await harness.sgcs().delete(name) }
            try await Self.killRepeatedly(harness, url: url, times: 8)
            survivor = harness.startOperator(fabric: try AzureFabricTests.fabric(url: url))
            defer { survivor.cancel() }
            try await harness.expectAllGone(names)
            #expect(AzureFootprint(emulator).leftovers.isEmpty, "\(AzureFootprint(emulator).leftovers)")
        }
    }

    /// Starts an operator and kills it after a random while, `times` times over.
    static func killRepeatedly(_ harness: OperatorHarness, url: String, times: Int) async throws {
        for _ in 0..<times {
            let running = harness.startOperator(fabric: try AzureFabricTests.fabric(url: url))
            try await Task.sleep(for: .milliseconds(Int.random(in: 50...700)))
            running.cancel()
            await running.value
        }
    }
}

extension OperatorHarness {
    /// Waits until the SGCs `names` and their LB and VM configurations are gone: no finalizer is left on any.
    func expectAllGone(_ names: [String]) async throws {
        for name in names {
            try await eventuallyGone(sgcs(), name)
            try await eventuallyGone(lbConfigurations(), name)
            try await eventuallyGone(vmConfigurations(), name)
        }
    }
}

/// What the emulated Azure holds of the operator's, names sorted and duplicates kept (so that they show).
struct AzureFootprint: Equatable {
    var frontends: [String]
    var backends: [String]
    var rules: [String]
    var probes: [String]
    var prefixes: [String]
    var publicIPs: [String]
    /// `egressgateway-` ipconfigs on the primary NIC of each scale-set model, instance and VM-pool NIC, by its ID.
    var ipconfigs: [String: [String]]
    /// Backend pool IDs on the primary ipconfig of each of them.
    var backendReferences: [String: [String]]

    init(_ emulator: ARMEmulator) {
        let lb = emulator.resources(.loadBalancer).first
        func children(_ collection: String) -> [String] {
            lb?[path: "properties", collection]?.arrayValue?.compactMap { $0["name"]?.stringValue }.sorted() ?? []
        }
        frontends = children("frontendIPConfigurations")
        backends = children("backendAddressPools")
        rules = children("loadBalancingRules")
        probes = children("probes")
        prefixes = emulator.resources(.publicIPPrefix).compactMap { $0["name"]?.stringValue }.sorted()
        publicIPs = emulator.resources(.publicIPAddress).compactMap { $0["name"]?.stringValue }.sorted()
        ipconfigs = [:]
        backendReferences = [:]
        func scan(_ owner: ARMValue, _ ipconfigs: [ARMValue]) {
            let id = owner["id"]?.stringValue ?? ""
            self.ipconfigs[id] = ipconfigs.compactMap { $0["name"]?.stringValue }
                .filter { $0.hasPrefix(EgressGateway.managedResourcePrefix) }.sorted()
            backendReferences[id] = ipconfigs.filter { $0[path: "properties", "primary"]?.boolValue == true }
                .flatMap { $0[path: "properties", "loadBalancerBackendAddressPools"]?.arrayValue ?? [] }
                .compactMap { $0["id"]?.stringValue }
        }
        func primary(_ nics: [ARMValue]?) -> [ARMValue] {
            nics?.first { $0[path: "properties", "primary"]?.boolValue == true }?[path: "properties", "ipConfigurations"]?
                .arrayValue ?? []
        }
        for scaleSet in emulator.resources(.scaleSet) {
            scan(scaleSet, primary(scaleSet[path: "properties", "virtualMachineProfile", "networkProfile",
                                            "networkInterfaceConfigurations"]?.arrayValue))
        }
        for instance in emulator.resources(.scaleSetVM) {
            scan(instance, primary(instance[path: "properties", "networkProfileConfiguration",
                                             "networkInterfaceConfigurations"]?.arrayValue))
        }
        for nic in emulator.resources(.networkInterface) {
            scan(nic, nic[path: "properties", "ipConfigurations"]?.arrayValue ?? [])
        }
    }

    /// Everything of ours still there, as `kind name` lines.
    var leftovers: [String] {
        var found = (frontends.map { "frontend \($0)" } + backends.map { "backend \($0)" } + rules.map { "rule \($0)" }
            + probes.map { "probe \($0)" } + prefixes.map { "prefix \($0)" } + publicIPs.map { "public IP \($0)" })
        for (owner, names) in ipconfigs where !names.isEmpty { found.append("ipconfigs \(names) on \(owner)") }
        for (owner, ids) in backendReferences where !ids.isEmpty { found.append("backend references \(ids) on \(owner)") }
        return found
    }

    /// Expects exactly the Azure state the configurations in the cluster call for: one frontend and backend per
    /// pool in use, one rule and probe per LB configuration, one prefix per VM configuration, and on every model
    /// and instance of a pool one ipconfig per configuration of that pool plus a single backend reference.
    static func expectMatches(_ harness: OperatorHarness, _ emulator: ARMEmulator,
                              sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let footprint = AzureFootprint(emulator)
        let lbConfigurations = try await harness.lbConfigurations().list().items
        let vmConfigurations = try await harness.vmConfigurations().list().items
        let scaleSets = emulator.resources(.scaleSet)
        func uniqueID(_ pool: String) -> String? {
            scaleSets.first { $0[path: "tags", "aks-managed-poolName"]?.stringValue == pool }?[path: "properties", "uniqueId"]?
                .stringValue
        }
        let poolIDs = Set(vmConfigurations.compactMap { uniqueID($0.spec.gatewayNodepoolName) }).sorted()
        #expect(footprint.frontends == poolIDs, sourceLocation: sourceLocation)
        #expect(footprint.backends == poolIDs, sourceLocation: sourceLocation)
        #expect(footprint.rules == lbConfigurations.map(\.metadata.uid).sorted(), sourceLocation: sourceLocation)
        #expect(footprint.probes == lbConfigurations.map(\.metadata.uid).sorted(), sourceLocation: sourceLocation)
        #expect(footprint.prefixes == vmConfigurations.map { "egressgateway-\($0.metadata.uid)" }.sorted(),
                sourceLocation: sourceLocation)
        for (owner, names) in footprint.ipconfigs {
            let scaleSet = scaleSets.first { scaleSet in
                let id = (scaleSet["id"]?.stringValue ?? "").lowercased()
                return owner.lowercased() == id || owner.lowercased().hasPrefix(id + "/")
            }
            let pool = scaleSet?[path: "tags", "aks-managed-poolName"]?.stringValue ?? ""
            let wanted = vmConfigurations.filter { $0.spec.gatewayNodepoolName == pool }
                .map { "egressgateway-\($0.metadata.uid)" }.sorted()
            #expect(names == wanted, "ipconfigs on \(owner)", sourceLocation: sourceLocation)
            let references = footprint.backendReferences[owner] ?? []
            #expect(references.count == (wanted.isEmpty ? 0 : 1), "backend references on \(owner): \(references)",
                    sourceLocation: sourceLocation)
        }
    }
}
