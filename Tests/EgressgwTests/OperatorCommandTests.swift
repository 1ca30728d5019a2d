import ArgumentParser
import Foundation
import Testing
@testable import egressgw

@Suite("egressgw operator flags")
struct OperatorCommandTests {
    /// The Helm chart passes `--leader-elect=true`, kustomize a bare `--leader-elect` (Go's flag package takes both).
    @Test("Go-style boolean leader election flags parse", arguments: [
        (["operator", "--leader-elect=true"], true),
        (["operator", "--leader-elect"], true),
        (["operator", "--leader-elect=false"], false),
        (["operator"], false),
    ])
    func leaderElect(arguments: [String], expected: Bool) throws {
        let parsed = try Egressgw.parseAsRoot(OperatorCommand.goStyleBooleans(arguments))
        let command = try #require(parsed as? OperatorCommand)
        #expect(command.leaderElect == expected)
    }

    @Test("the Go defaults: cloud config path and the three ports")
    func defaults() throws {
        let command = try #require(try Egressgw.parseAsRoot(["operator", "--secret-namespace", "ns"]) as? OperatorCommand)
        #expect(command.cloudConfig == "/etc/kubernetes/kube-egress-gateway/azure.json")
        #expect(command.metricsBindPort == 8080 && command.healthProbeBindPort == 8081)
        #expect(command.gatewayLbProbePort == 8082)
        #expect(command.secretNamespace == "ns")
    }

    static let goodCloudConfig = """
        {"cloud": "AzurePublicCloud", "tenantId": "t", "subscriptionId": "s", "location": "eastus",
         "resourceGroup": "rg", "vnetName": "vnet", "subnetName": "subnet",
         "useManagedIdentityExtension": true}
        """

    /// A bad cloud config stops `egressgw operator` at start with status 1 and a message that names the file and
    /// what is wrong in it, before any connection is tried.
    @Test("a missing, unparsable, incomplete or unknown-cloud config fails at start naming the file and the field", arguments: [
        ("missing", nil, "cannot read cloud config"),
        ("unparsable", "{\"cloud\": [", "neither JSON nor YAML"),
        ("no location", goodCloudConfig.replacingOccurrences(of: "\"location\": \"eastus\",", with: ""), "location is empty"),
        ("wrong type", goodCloudConfig.replacingOccurrences(of: "\"vnetName\": \"vnet\"", with: "\"vnetName\": [1]"), "vnetName"),
        ("unknown cloud", goodCloudConfig.replacingOccurrences(of: "AzurePublicCloud", with: "AzureGovernmentCloud"),
         "cloud(AzureGovernmentCloud) is not a known Azure environment"),
    ] as [(String, String?, String)])
    func badCloudConfig(name: String, content: String?, expected: String) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("egressgw-operator-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("azure.json").path
        if let content { try content.write(toFile: path, atomically: true, encoding: .utf8) }
        let result = try await run(Binary.path, ["operator", "--cloud-config", path, "--secret-namespace", "ns"],
                             environment: ["KUBECONFIG": directory.appendingPathComponent("no-kubeconfig").path])
        #expect(result.status == 1, "\(name): \(result.stderr)")
        #expect(result.stderr.contains(path), "\(name): \(result.stderr)")
        #expect(result.stderr.contains(expected), "\(name): \(result.stderr)")
    }
}
