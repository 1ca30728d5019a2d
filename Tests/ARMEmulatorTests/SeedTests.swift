import ARMEmulator
import Foundation
import HTTPClient
import Synchronization
import Testing

/// The YAML seed, and the sandbox subcommands that serve a seeded fabric.
@Suite struct SeedTests {
    static let yaml = """
        subscription: 1f7e3c2a-0000-4000-8000-000000000001
        location: eastus
        resourceGroups:
          - name: MC_rg_cluster_eastus
            virtualNetworks:
              - name: aks-vnet
                addressPrefixes: [10.224.0.0/12]
                subnets: [{name: aks-subnet, addressPrefix: 10.224.0.0/16}]
            scaleSets:
              - {name: aks-nodepool1-12345678-vmss, pool: nodepool1, subnet: aks-vnet/aks-subnet, instances: 1}
              - {name: aks-gwpool-12345678-vmss, pool: gwpool, gatewayPrefixLength: 31, subnet: aks-vnet/aks-subnet, instances: 2}
            virtualMachines:
              - {name: aks-gwvm-0, pool: gwvm, gatewayPrefixLength: 30, subnet: aks-vnet/aks-subnet}
        """

    @Test func aSeedCreatesTaggedPoolsAndReturnsTheirNodes() throws {
        let arm = ARMEmulator()
        let nodes = try arm.apply(try Seed(yaml: Self.yaml))
        #expect(nodes.map(\.name) == ["aks-nodepool1-12345678-vmss000000", "aks-gwpool-12345678-vmss000000",
                                      "aks-gwpool-12345678-vmss000001", "aks-gwvm-0"])
        #expect(nodes.map(\.primaryIP) == ["10.224.0.4", "10.224.0.5", "10.224.0.6", "10.224.0.7"])
        #expect(nodes.map(\.isGateway) == [false, true, true, true])
        #expect(nodes[1].instanceID == "0" && nodes[2].instanceID == "1")
        #expect(nodes[1].tags == ["aks-managed-poolName": "gwpool", "aks-managed-gatewayIPPrefixSize": "31"])
        #expect(nodes[3].tags["aks-managed-nic-name"] == "aks-gwvm-0-nic")

        let scaleSets = arm.resources(.scaleSet)
        #expect(scaleSets.compactMap { $0["tags"]?["aks-managed-poolName"]?.stringValue } == ["nodepool1", "gwpool"])
        let nic = try #require(arm.resources(.networkInterface).first)
        #expect(nic["tags"]?["aks-managed-static-gateway-nic"] == "true")
        #expect(arm.resources(.virtualMachine).first?["tags"]?["aks-managed-gatewayIPPrefixSize"] == "30")

        let instance = nodes[3].imdsInstance(subscription: "sub", location: "eastus")
        #expect(instance.document[path: "compute", "tags"]?.stringValue?.contains("aks-managed-nic-name:aks-gwvm-0-nic") == true)
        #expect(instance.document[path: "network", "interface"]?.arrayValue?.first?[path: "ipv4", "subnet"]?.arrayValue?
            .first?["address"] == "10.224.0.0")
    }

    @Test func aBadSeedNamesTheFieldAndValue() throws {
        let broken = Self.yaml.replacingOccurrences(of: "subnet: aks-vnet/aks-subnet, instances: 2",
                                                    with: "subnet: aks-vnet/nowhere, instances: 2")
        #expect(throws: SeedError.invalid(field: "resourceGroups[0].scaleSets[1].subnet", value: "aks-vnet/nowhere",
                                          reason: "names no VNET/SUBNET of this resource group")) {
            try ARMEmulator().apply(try Seed(yaml: broken))
        }
        #expect(throws: SeedError.self) { try Seed(yaml: "subscription: [") }
    }

    static let binary: String = {
        let bundle = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: bundle).deletingLastPathComponent().appendingPathComponent("egressgw-sandbox").path
    }()

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: binary), "needs the egressgw-sandbox binary"))
    func theSandboxServesASeededARM() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("armemu-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let seedPath = directory.appendingPathComponent("seed.yaml").path
        let nodesPath = directory.appendingPathComponent("nodes.json").path
        try Self.yaml.write(toFile: seedPath, atomically: true, encoding: .utf8)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["arm", "--listen", "127.0.0.1:0", "--seed", seedPath, "--nodes-out", nodesPath]
        let output = Pipe()
        process.standardError = output
        process.standardOutput = output
        let text = Mutex("")
        output.fileHandleForReading.readabilityHandler = { handle in
            let chunk = String(decoding: handle.availableData, as: UTF8.self)
            text.withLock { $0 += chunk }
        }
        try process.run()
        defer {
            process.terminate()
            process.waitUntilExit()
            output.fileHandleForReading.readabilityHandler = nil
        }
        var url: String?
        for _ in 0..<400 where url == nil {
            let log = text.withLock { $0 }
            if let range = log.range(of: #"listening on (http://[0-9.:]+)"#, options: .regularExpression) {
                url = String(log[range].dropFirst("listening on ".count))
            } else {
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        let base = try #require(url, "the server did not report listening: \(text.withLock { $0 })")
        let nodes = try JSONDecoder().decode([SeededNode].self, from: Data(contentsOf: URL(fileURLWithPath: nodesPath)))
        #expect(nodes.count == 4)
        let client = try HTTPClient(configuration: .init(proxy: .none))
        let list = try await client.execute(HTTPRequest(
            url: "\(base)/subscriptions/1f7e3c2a-0000-4000-8000-000000000001/resourceGroups/mc_rg_cluster_eastus/providers/"
                + "Microsoft.Compute/virtualMachineScaleSets?api-version=2025-04-01"))
        #expect(list.status == 200)
        #expect(ARMValue(json: list.body)?["value"]?.arrayValue?.count == 2)
    }
}
