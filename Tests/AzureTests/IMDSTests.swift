import Foundation
import Logging
import Testing
import TestSupport
@testable import Azure

@Suite("IMDS")
struct IMDSTests {
    static let instanceDocument = """
    {"compute":{"azEnvironment":"AzurePublicCloud","location":"westus2","name":"aks-gw-12345678-vmss_0",
    "osType":"Linux","osProfile":{"adminUsername":"azureuser","computerName":"aks-gw-12345678-vmss000000"},
    "resourceGroupName":"MC_rg_cluster_westus2","resourceId":"/subscriptions/sub/resourceGroups/MC_rg/providers/Microsoft.Compute/virtualMachineScaleSets/aks-gw-12345678-vmss/virtualMachines/0",
    "subscriptionId":"sub","tags":"aks-managed-poolName:gw;aks-managed-nic-name:nic0; team : net ;bad",
    "tagsList":[{"name":"aks-managed-poolName","value":"gw"}],"vmScaleSetName":"aks-gw-12345678-vmss","zone":"1"},
    "network":{"interface":[{"ipv4":{"ipAddress":[{"privateIpAddress":"10.224.0.5","publicIpAddress":""}],
    "subnet":[{"address":"10.224.0.0","prefix":"16"}]},"ipv6":{"ipAddress":[]},"macAddress":"000D3A8B1C2E"}]}}
    """

    func client(_ url: String, retries: Int = 0) -> IMDSClient {
        try! IMDSClient(endpoint: url, backoff: .quick(retries: retries))
    }

    @Test("instance document: path, api-version, Metadata header, fields")
    func instance() async throws {
        try await ScriptedServer.run({ _, _ in ScriptedResponse(200, Self.instanceDocument) }) { url, requests in
            let document = try await client(url).instance()
            #expect(document.compute.computerName == "aks-gw-12345678-vmss000000")
            #expect(document.compute.vmScaleSetName == "aks-gw-12345678-vmss")
            #expect(document.compute.resourceGroupName == "MC_rg_cluster_westus2")
            #expect(document.compute.nodeTags.poolName == "gw")
            #expect(document.network.interfaces.first?.ipv4Subnets == [.init(address: "10.224.0.0", prefix: "16")])
            #expect(document.network.interfaces.first?.ipv4Addresses.first?.privateIpAddress == "10.224.0.5")
            #expect(document.network.interfaces.first?.macAddress == "000D3A8B1C2E")
            let request = try #require(requests().first)
            #expect(request.path == "/metadata/instance")
            #expect(request.query == ["api-version": "2021-10-01", "format": "json"])
            #expect(request.headers["metadata"] == "true")
        }
    }

    @Test("load-balancer document")
    func loadBalancer() async throws {
        let body = #"{"loadbalancer":{"publicIpAddresses":[{"frontendIpAddress":"20.1.2.3","privateIpAddress":"10.0.0.4"}]}}"#
        try await ScriptedServer.run({ _, _ in ScriptedResponse(200, body) }) { url, requests in
            let document = try await client(url).loadBalancer()
            #expect(document.publicIpAddresses == [.init(frontendIpAddress: "20.1.2.3", privateIpAddress: "10.0.0.4")])
            #expect(requests().first?.query["api-version"] == "2020-10-01")
        }
    }

    @Test("410, 429 and 500 are retried until IMDS answers (the Go daemon exits on the first)")
    func retries() async throws {
        let calls = Counter()
        try await ScriptedServer.run({ _, _ in
            switch calls.next() {
            case 1: ScriptedResponse(410, "gone")
            case 2: ScriptedResponse(429, "slow down")
            case 3: ScriptedResponse(500, "oops")
            default: ScriptedResponse(200, Self.instanceDocument)
            }
        }) { url, _ in
            let document = try await client(url, retries: 3).instance()
            #expect(document.compute.name == "aks-gw-12345678-vmss_0")
            #expect(calls.current == 4)
        }
    }

    @Test("a 400 is not retried and the error names URL and status")
    func permanentStatus() async throws {
        let calls = Counter()
        try await ScriptedServer.run({ _, _ in _ = calls.next(); return ScriptedResponse(400, "bad request") }) { url, _ in
            let error = await #expect(throws: IMDSError.self) { try await client(url, retries: 5).instance() }
            #expect(calls.current == 1)
            let text = "\(error!)"
            #expect(text.contains("\(url)/metadata/instance"))
            #expect(text.contains("400"))
        }
    }

    @Test("unreachable IMDS: the error names the URL and the attempts")
    func unreachable() async throws {
        let url = "http://127.0.0.1:\(refusedPort())"
        let error = await #expect(throws: IMDSError.self) { try await client(url, retries: 2).instance() }
        let text = "\(error!)"
        #expect(text.contains("\(url)/metadata/instance?api-version=2021-10-01&format=json"))
        #expect(text.contains("after 3 attempt(s)"))
    }

    @Test("a document that is not JSON is a malformed error naming the URL")
    func malformed() async throws {
        try await ScriptedServer.run({ _, _ in ScriptedResponse(200, "<html>") }) { url, _ in
            let error = await #expect(throws: IMDSError.self) { try await client(url).instance() }
            #expect("\(error!)".contains("\(url)/metadata/instance"))
        }
    }

    @Test("tag parsing matches the Go daemon: trimmed pairs, parts that are not key:value dropped")
    func tags() {
        #expect(NodeTags(parsing: "a:b; c : d ;e").values == ["a": "b", "c": "d"])
        #expect(NodeTags(parsing: "url:http://x;k:v").values == ["k": "v"])
        #expect(NodeTags(parsing: "").values == [:])
        #expect(NodeTags(parsing: "aks-managed-poolName: gw1 ").poolName == "gw1")
    }

    @Test("the NIC-name tag is read untrimmed, exact key, last one wins")
    func nicName() {
        #expect(NodeTags.nicName(in: "aks-managed-nic-name:nic1;aks-managed-nic-name:nic2") == "nic2")
        #expect(NodeTags.nicName(in: " aks-managed-nic-name:nic1") == nil)
        #expect(NodeTags.nicName(in: "aks-managed-nic-name: nic1") == " nic1")
        #expect(NodeTags.nicName(in: "other:x") == nil)
    }

    @Test("backoff doubles up to its maximum")
    func backoff() {
        let policy = Backoff(initial: .seconds(1), maximum: .seconds(5), jitter: 0, retries: 5)
        #expect((1...5).map { policy.delay(beforeRetry: $0) } == [.seconds(1), .seconds(2), .seconds(4), .seconds(5), .seconds(5)])
    }
}
