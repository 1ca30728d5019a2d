import EgressGatewayAPI
import Kube
@testable import Operator
import TestSupport
import Testing

/// Spec §8.1 item 17's last case, which the ARMEmulator cannot give (it lists a prefix's public IPs from addresses
/// that exist): a scripted ARM answers the managed prefix with a public IP ID that does not parse. The deletion
/// fails naming the ID, and deletes nothing.
@Suite("VM controller: a managed prefix listing an unparsable public IP ID")
struct UnparsablePublicIPTests {
    @Test("deleting the prefix fails with the ID's parse error and sends no DELETE")
    func unparsableIDAborts() async throws {
        var metadata = ObjectMeta(name: "gw1", namespace: "default")
        metadata.uid = "7f9c0a52-0000-4000-8000-000000000001"
        let vm = GatewayVMConfiguration(metadata: metadata, spec: GatewayVMConfigurationSpec())
        let prefix = EgressGateway.managedResourceName(gatewayVMConfigurationUID: vm.metadata.uid)
        try await ScriptedServer.run({ request in
            guard request.method == "GET", request.path.hasSuffix("/publicIPPrefixes/\(prefix)") else {
                return .json(#"{"error":{"code":"Unexpected","message":"not scripted"}}"#, status: 400)
            }
            return .json("""
                {"id": "\(request.path)", "name": "\(prefix)", "location": "eastus",
                 "properties": {"prefixLength": 31, "ipPrefix": "192.0.2.0/31",
                                "publicIPAddresses": [{"id": "not-an-arm-id"}]}}
                """)
        }) { url, requests in
            let fabric = try AzureFabricTests.fabric(url: url)
            let error = await #expect(throws: (any Error).self) {
                try await PublicIPPrefixPlan.deleteManaged(of: vm, cloud: AzureFabricTests.cloud, fabric: fabric)
            }
            #expect("\(error.map { "\($0)" } ?? "")".hasPrefix("failed to parse managed public ip prefix(not-an-arm-id): "))
            #expect(requests().map(\.method) == ["GET"])
        }
    }
}
