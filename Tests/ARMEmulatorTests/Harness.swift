import ARMEmulator
import Foundation
import HTTPClient

/// An ARM emulator seeded with one AKS-like node resource group, served on a loopback port for one test, with a
/// small JSON client over the project's HTTPClient.
struct Harness: Sendable {
    static let subscription = "1f7e3c2a-0000-4000-8000-000000000001"
    static let group = "MC_rg_cluster_eastus"
    static let network = "2025-05-01"
    static let compute = "2025-04-01"
    static let scaleSetNIC = "2018-10-01"

    let emulator: ARMEmulator
    let server: RunningServer
    let client: HTTPClient

    var url: String { server.url }

    static var groupPath: String { "/subscriptions/\(subscription)/resourceGroups/\(group)" }
    static var subnetID: String { "\(groupPath)/providers/Microsoft.Network/virtualNetworks/aks-vnet/subnets/aks-subnet" }
    static var scaleSetPath: String { "\(groupPath)/providers/Microsoft.Compute/virtualMachineScaleSets/aks-gw-12345678-vmss" }
    static func network(_ type: String, _ name: String) -> String { "\(groupPath)/providers/Microsoft.Network/\(type)/\(name)" }

    /// Runs `body` against a fresh, seeded emulator and stops it afterwards.
    static func with<T: Sendable>(
        _ configure: (inout ARMEmulator.Configuration) -> Void = { _ in },
        instances: Int = 2,
        _ body: @Sendable (Harness) async throws -> T
    ) async throws -> T {
        var configuration = ARMEmulator.Configuration()
        configure(&configuration)
        let emulator = ARMEmulator(configuration: configuration)
        try seed(emulator, instances: instances)
        let server = try await emulator.start()
        let harness = Harness(emulator: emulator, server: server,
                              client: try HTTPClient(configuration: .init(proxy: .none)))
        do {
            let result = try await body(harness)
            await server.stop()
            return result
        } catch {
            await server.stop()
            throw error
        }
    }

    static func seed(_ emulator: ARMEmulator, instances: Int) throws {
        emulator.addResourceGroup(subscription: subscription, name: group, location: "eastus")
        try emulator.create(ResourceID(network("virtualNetworks", "aks-vnet"))!, [
            "location": "eastus",
            "properties": [
                "addressSpace": ["addressPrefixes": ["10.224.0.0/12"]],
                "subnets": [["name": "aks-subnet", "properties": ["addressPrefix": "10.224.0.0/16"]]],
            ],
        ])
        let scaleSet = ResourceID(scaleSetPath)!
        try emulator.create(scaleSet, [
            "location": "eastus",
            "tags": ["aks-managed-poolName": "gwpool", "aks-managed-gatewayIPPrefixSize": "31"],
            "sku": ["name": "Standard_D2s_v3", "capacity": .integer(Int64(instances))],
            "properties": [
                "orchestrationMode": "Uniform",
                "virtualMachineProfile": [
                    "osProfile": ["computerNamePrefix": "aks-gw-12345678-vmss", "adminUsername": "azureuser"],
                    "networkProfile": ["networkInterfaceConfigurations": [[
                        "name": "aks-gw-12345678-vmss",
                        "properties": [
                            "primary": true, "enableIPForwarding": true,
                            "ipConfigurations": [[
                                "name": "ipconfig1",
                                "properties": ["primary": true, "subnet": ["id": .string(subnetID)]],
                            ]],
                        ],
                    ]]],
                ],
            ],
        ])
        if instances > 0 { try emulator.addInstances(to: scaleSet, count: instances) }
    }

    /// An answer: status, JSON body (nil when empty or not JSON) and headers.
    struct Answer: Sendable, CustomStringConvertible {
        var status: Int
        var json: ARMValue?
        var headers: HTTPHeaders

        var description: String { "\(status) \(json?.jsonText ?? "")" }
        var errorCode: String? { json?[path: "error", "code"]?.stringValue }
        subscript(path: String...) -> ARMValue? { json?[path: path] }
    }

    /// `method` on `path` (with `api-version` appended unless nil) or on an absolute URL.
    @discardableResult
    func request(_ method: HTTPMethod, _ path: String, api: String? = Harness.network, _ body: ARMValue? = nil,
                 headers: [(String, String)] = [], rawBody: [UInt8]? = nil) async throws -> Answer
    {
        var target = path.hasPrefix("http") ? path : url + path
        if let api { target += (target.contains("?") ? "&" : "?") + "api-version=\(api)" }
        var fields = HTTPHeaders(headers)
        let bytes = rawBody ?? body?.jsonBytes
        if bytes != nil { fields.add(name: "Content-Type", value: "application/json") }
        let response = try await client.execute(HTTPRequest(method: method, url: target, headers: fields, body: bytes))
        return Answer(status: response.status, json: ARMValue(json: response.body), headers: response.headers)
    }

    @discardableResult
    func get(_ path: String, api: String? = Harness.network) async throws -> Answer { try await request(.get, path, api: api) }

    @discardableResult
    func put(_ path: String, _ body: ARMValue, api: String? = Harness.network, headers: [(String, String)] = [])
        async throws -> Answer
    {
        try await request(.put, path, api: api, body, headers: headers)
    }

    @discardableResult
    func delete(_ path: String, api: String? = Harness.network) async throws -> Answer { try await request(.delete, path, api: api) }

    /// Follows `nextLink` and returns every item of a list.
    func listAll(_ path: String, api: String = Harness.network) async throws -> (items: [ARMValue], pages: Int) {
        var items: [ARMValue] = []
        var pages = 0
        var next: String? = url + path + "?api-version=\(api)"
        while let link = next {
            let answer = try await request(.get, link, api: nil)
            guard answer.status == 200 else { throw HarnessError.unexpected(answer.description) }
            items += answer["value"]?.arrayValue ?? []
            next = answer["nextLink"]?.stringValue
            pages += 1
        }
        return (items, pages)
    }

    /// An internal load balancer body with one frontend, pool, probe and UDP rule, as the operator builds it.
    static func loadBalancer(_ name: String = "kubeegressgateway-ilb", pool: String = "pool-1", rule: String = "rule-1") -> ARMValue {
        let lb = network("loadBalancers", name)
        return [
            "location": "eastus",
            "sku": ["name": "Standard", "tier": "Regional"],
            "properties": [
                "frontendIPConfigurations": [[
                    "name": .string(pool),
                    "properties": ["privateIPAddressVersion": "IPv4", "privateIPAllocationMethod": "Dynamic",
                                   "subnet": ["id": .string(subnetID)]],
                ]],
                "backendAddressPools": [["name": .string(pool), "properties": [:]]],
                "probes": [[
                    "name": .string(rule),
                    "properties": ["protocol": "Http", "port": 8082, "requestPath": "/gw/uid-1", "probeThreshold": 1,
                                   "intervalInSeconds": 5],
                ]],
                "loadBalancingRules": [[
                    "name": .string(rule),
                    "properties": [
                        "protocol": "Udp", "enableFloatingIP": true, "frontendPort": 6000, "backendPort": 6000,
                        "frontendIPConfiguration": ["id": .string("\(lb)/frontendIPConfigurations/\(pool)")],
                        "backendAddressPool": ["id": .string("\(lb)/backendAddressPools/\(pool)")],
                        "probe": ["id": .string("\(lb)/probes/\(rule)")],
                    ],
                ]],
            ],
        ]
    }
}

enum HarnessError: Error, CustomStringConvertible {
    case unexpected(String)
    var description: String {
        switch self {
        case .unexpected(let text): "unexpected answer: \(text)"
        }
    }
}
