import ARMEmulator
import Foundation
import HTTPClient
import Logging
@testable import Azure

/// An ARM emulator seeded with one AKS-like node resource group (a VNet and subnet, a gateway scale set with
/// instances, a VM with its NIC), served on loopback for one test. With a token authority ARM demands tokens that
/// the AAD or IMDS emulator issued.
struct EmulatedFabric: Sendable {
    static let subscription = "sub"
    static let group = "MC_rg_cluster_eastus"
    static let location = "eastus"
    static var groupPath: String { "/subscriptions/\(subscription)/resourceGroups/\(group)" }
    static var subnetID: String { "\(groupPath)/providers/Microsoft.Network/virtualNetworks/aks-vnet/subnets/aks-subnet" }
    static let scaleSetName = "aks-gw-12345678-vmss"
    static var scaleSetID: String { "\(groupPath)/providers/Microsoft.Compute/virtualMachineScaleSets/\(scaleSetName)" }
    static let vmName = "aks-vmpool-12345678-vm0"
    static var vmNICID: String { "\(groupPath)/providers/Microsoft.Network/networkInterfaces/\(vmName)-nic" }
    static func networkID(_ type: String, _ name: String) -> String { "\(groupPath)/providers/Microsoft.Network/\(type)/\(name)" }

    let emulator: ARMEmulator
    let url: String

    /// Runs `body` against a fresh emulator and stops it afterwards.
    static func with(
        instances: Int = 1, authority: TokenAuthority? = nil,
        _ configure: (inout ARMEmulator.Configuration) -> Void = { _ in },
        _ body: @Sendable (EmulatedFabric) async throws -> Void
    ) async throws {
        var configuration = ARMEmulator.Configuration()
        configuration.tokenAuthority = authority
        configure(&configuration)
        let emulator = ARMEmulator(configuration: configuration)
        try seed(emulator, instances: instances)
        let server = try await emulator.start()
        do {
            try await body(EmulatedFabric(emulator: emulator, url: server.url))
            await server.stop()
        } catch {
            await server.stop()
            throw error
        }
    }

    static func seed(_ emulator: ARMEmulator, instances: Int) throws {
        emulator.addResourceGroup(subscription: subscription, name: group, location: location)
        try emulator.create(ResourceID(networkID("virtualNetworks", "aks-vnet"))!, [
            "location": .string(location),
            "properties": [
                "addressSpace": ["addressPrefixes": ["10.224.0.0/12"]],
                "subnets": [["name": "aks-subnet", "properties": ["addressPrefix": "10.224.0.0/16"]]],
            ],
        ])
        let scaleSet = ResourceID(scaleSetID)!
        try emulator.create(scaleSet, [
            "location": .string(location),
            "tags": ["aks-managed-poolName": "gwpool"],
            "sku": ["name": "Standard_D2s_v3", "capacity": .integer(Int64(instances))],
            "properties": [
                "orchestrationMode": "Uniform",
                "virtualMachineProfile": [
                    "osProfile": ["computerNamePrefix": .string(scaleSetName), "adminUsername": "azureuser"],
                    "networkProfile": ["networkInterfaceConfigurations": [[
                        "name": .string(scaleSetName),
                        "properties": [
                            "primary": true, "enableIPForwarding": true,
                            "ipConfigurations": [["name": "ipconfig1", "properties": ["primary": true, "subnet": ["id": .string(subnetID)]]]],
                        ],
                    ]]],
                ],
            ],
        ])
        if instances > 0 { try emulator.addInstances(to: scaleSet, count: instances) }
        let vmID = "\(groupPath)/providers/Microsoft.Compute/virtualMachines/\(vmName)"
        try emulator.create(ResourceID(vmNICID)!, [
            "location": .string(location), "tags": ["aks-managed-static-gateway-nic": "true"],
            "properties": [
                "ipConfigurations": [["name": "ipconfig1", "properties": ["primary": true, "subnet": ["id": .string(subnetID)]]]],
                "virtualMachine": ["id": .string(vmID)],
            ],
        ])
        try emulator.create(ResourceID(vmID)!, [
            "location": .string(location), "tags": ["aks-managed-poolName": "vmpool"],
            "properties": [
                "osProfile": ["computerName": .string(vmName), "adminUsername": "azureuser"],
                "networkProfile": ["networkInterfaces": [["id": .string(vmNICID), "properties": ["primary": true]]]],
            ],
        ])
    }

    /// The emulated cloud: ARM here, AAD at `authority` (defaults to this server, for tests without AAD).
    func environment(authorityHost: String? = nil) -> AzureEnvironment {
        AzureEnvironment(name: "emulated", resourceManagerEndpoint: url, authorityHost: authorityHost ?? url,
                         tokenAudience: "https://management.core.windows.net/")
    }

    /// A client with fast retries. `pollInterval` is what the client waits between polls when ARM sends no
    /// `Retry-After`.
    func client(credential: any TokenCredential = FixedCredential(), retries: Int = 3, backoff: Backoff? = nil,
                pollInterval: Duration = .milliseconds(1), logger: Logger = Logger(label: "test")) throws -> ARMClient
    {
        let configuration = ARMClient.Configuration(
            subscriptionID: Self.subscription, backoff: backoff ?? .quick(retries: retries), userAgent: "egressgw-test",
            pollInterval: pollInterval, operationTimeout: .seconds(7200))
        return ARMClient(environment: environment(), credential: credential, http: try HTTPClientFactory.plain(),
                         configuration: configuration, logger: logger)
    }

    /// The requests the emulator answered, as `METHOD path → status`, for those whose path contains `fragment`.
    func requests(containing fragment: String) -> [String] {
        emulator.requestLog.filter { $0.path.contains(fragment) }.map(\.description)
    }
}
