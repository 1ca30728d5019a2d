import Operator
import Synchronization

/// A stand-in for Azure behind `GatewayFabric` until the ARMEmulator and the ARM client are on main: it keeps one
/// load balancer, allocates frontend IPs and resource IDs as ARM does, and logs every write.
final class InMemoryFabric: GatewayFabric {
    struct State {
        var loadBalancer: LoadBalancer?
        var scaleSets: [ScaleSetSummary] = []
        var virtualMachines: [VirtualMachineSummary] = []
        var writes: [String] = []
        var nextAddress = 4
        /// VMSS name → model interfaces.
        var models: [String: [NetworkInterfaceConfiguration]] = [:]
        /// VMSS name → instances.
        var instances: [String: [ScaleSetInstance]] = [:]
        var prefixes: [String: PublicIPPrefix] = [:]
        var nextNodeAddress = 10
        var nextPrefix = 0
    }

    let cloud: CloudTarget
    let state: Mutex<State>
    /// How long each write takes, as ARM's long-running operations do; writes meanwhile pile up as in a real wave.
    let writeDelay: Duration

    init(cloud: CloudTarget, scaleSets: [ScaleSetSummary] = [], virtualMachines: [VirtualMachineSummary] = [],
         writeDelay: Duration = .zero) {
        self.cloud = cloud
        self.writeDelay = writeDelay
        state = Mutex(State(scaleSets: scaleSets, virtualMachines: virtualMachines))
    }

    /// Adds a VMSS gateway pool with `count` instances, each with a primary NIC on the subnet.
    func addScaleSet(_ summary: ScaleSetSummary, instances count: Int) {
        let subnet = "/subscriptions/\(cloud.subscriptionID)/resourceGroups/\(cloud.resourceGroup)/providers/"
            + "Microsoft.Network/virtualNetworks/\(cloud.vnetName)/subnets/\(cloud.subnetName)"
        let interfaces = [NetworkInterfaceConfiguration(name: "nic", primary: true, ipConfigurations: [
            IPConfiguration(name: "ipconfig1", primary: true, privateIPAddressVersion: "IPv4", subnetID: subnet)])]
        state.withLock { state in
            state.scaleSets.append(summary)
            state.models[summary.name] = interfaces
            state.instances[summary.name] = (0..<count).map { index in
                ScaleSetInstance(instanceID: "\(index)", computerName: "\(summary.name)00000\(index)",
                                 interfaces: interfaces, privateIPs: ["ipconfig1": "10.1.0.\(index + 4)"])
            }
        }
    }

    /// Writes so far, such as `PUT loadBalancer`.
    var writes: [String] { state.withLock { $0.writes } }
    var storedLoadBalancer: LoadBalancer? { state.withLock { $0.loadBalancer } }

    func loadBalancer() async throws -> LoadBalancer? { state.withLock { $0.loadBalancer } }

    func putLoadBalancer(_ loadBalancer: LoadBalancer) async throws -> LoadBalancer {
        try await Task.sleep(for: writeDelay)
        return state.withLock { state in
            var stored = loadBalancer
            for index in stored.frontends.indices {
                stored.frontends[index].id = cloud.frontendID(stored.frontends[index].name)
                if stored.frontends[index].privateIPAddress == nil {
                    stored.frontends[index].privateIPAddress = "10.0.0.\(state.nextAddress)"
                    state.nextAddress += 1
                }
            }
            for index in stored.backends.indices { stored.backends[index].id = cloud.backendID(stored.backends[index].name) }
            state.loadBalancer = stored
            state.writes.append("PUT loadBalancer")
            return stored
        }
    }

    func deleteLoadBalancer() async throws {
        state.withLock { state in
            state.loadBalancer = nil
            state.writes.append("DELETE loadBalancer")
        }
    }

    func frontendSubnetID() async throws -> String {
        "/subscriptions/\(cloud.subscriptionID)/resourceGroups/\(cloud.vnetResourceGroup)/providers/Microsoft.Network"
            + "/virtualNetworks/\(cloud.vnetName)/subnets/\(cloud.subnetName)"
    }

    func scaleSetInterfaces(resourceGroup: String, name: String) async throws -> [NetworkInterfaceConfiguration]? {
        state.withLock { $0.models[name] }
    }

    func putScaleSetInterfaces(resourceGroup: String, name: String,
                               _ interfaces: [NetworkInterfaceConfiguration]) async throws {
        try await Task.sleep(for: writeDelay)
        return state.withLock { state in
            state.models[name] = interfaces
            state.writes.append("PUT vmss \(name)")
        }
    }

    func scaleSetInstances(resourceGroup: String, name: String) async throws -> [ScaleSetInstance] {
        state.withLock { $0.instances[name] ?? [] }
    }

    func putScaleSetInstanceInterfaces(resourceGroup: String, name: String, instanceID: String,
                                       _ interfaces: [NetworkInterfaceConfiguration]) async throws -> ScaleSetInstance {
        try await Task.sleep(for: writeDelay)
        return state.withLock { state in
            var all = state.instances[name] ?? []
            guard let index = all.firstIndex(where: { $0.instanceID == instanceID }) else { return all[0] }
            all[index].interfaces = interfaces
            let names = Set(interfaces.flatMap { $0.ipConfigurations.map(\.name) })
            all[index].privateIPs = all[index].privateIPs.filter { names.contains($0.key) }
            for ipconfig in names where all[index].privateIPs[ipconfig] == nil {
                all[index].privateIPs[ipconfig] = "10.1.1.\(state.nextNodeAddress)"
                state.nextNodeAddress += 1
            }
            state.instances[name] = all
            state.writes.append("PUT vmss \(name) instance \(instanceID)")
            return all[index]
        }
    }

    func publicIPPrefix(resourceGroup: String, name: String) async throws -> PublicIPPrefix? {
        state.withLock { $0.prefixes[name] }
    }

    func createPublicIPPrefix(name: String, prefixLength: Int32) async throws -> PublicIPPrefix {
        state.withLock { state in
            let prefix = PublicIPPrefix(id: cloud.publicIPPrefixID(name), name: name,
                                        ipPrefix: "20.0.\(state.nextPrefix).0/\(prefixLength)", prefixLength: prefixLength)
            state.nextPrefix += 1
            state.prefixes[name] = prefix
            state.writes.append("PUT prefix \(name)")
            return prefix
        }
    }

    func deletePublicIPPrefix(name: String) async throws {
        state.withLock { state in
            if state.prefixes.removeValue(forKey: name) != nil { state.writes.append("DELETE prefix \(name)") }
        }
    }

    func deletePublicIPAddress(name: String) async throws {
        state.withLock { $0.writes.append("DELETE publicIP \(name)") }
    }

    // VM pools are tested on the ARMEmulator only: here they have no NICs.
    func gatewayNetworkInterfaces(nodepoolName: String) async throws -> [GatewayNetworkInterface] { [] }

    func putGatewayNetworkInterface(_ nic: GatewayNetworkInterface) async throws -> GatewayNetworkInterface {
        throw OperatorError.fabric("nic(\(nic.id)) not found")
    }

    func publicIPAddress(name: String) async throws -> PublicIPAddressSummary? { nil }

    func createPublicIPAddress(name: String, prefixID: String) async throws -> PublicIPAddressSummary {
        throw OperatorError.fabric("public IP \(name): not supported by the in-memory fabric")
    }

    func scaleSets() async throws -> [ScaleSetSummary] { state.withLock { $0.scaleSets } }
    func virtualMachines() async throws -> [VirtualMachineSummary] { state.withLock { $0.virtualMachines } }

    func scaleSet(resourceGroup: String, name: String) async throws -> ScaleSetSummary? {
        state.withLock { state in
            state.scaleSets.first { $0.resourceGroup.lowercased() == resourceGroup.lowercased() && $0.name == name }
        }
    }
}
