import CNIManager
import CNIPlugin
import EgressGatewayAPI
import Foundation
import HTTPClient
import Kube
import Netlink
import Testing
import WireGuard

/// The cni-manager's operations as the plugin calls them: through ``ManagerSocketClient`` over
/// the unix socket, against the KubeEmulator (upstream-cni §5.20–25 plus the sandbox rule).
@Suite("cni-manager API over its unix socket")
struct ManagerAPITests {
    static let pod = PodReference(namespace: "testns", name: "test")

    static func nicAdd(_ containerID: String = "sandbox-1", gateway: String = "sgw1",
                       key: String = ManagerWorld.podKey) throws -> CNIPlugin.NicAddRequest {
        CNIPlugin.NicAddRequest(pod: pod, containerID: containerID, gatewayName: gateway,
                                publicKey: try PublicKey(base64: key), listenPort: 51820,
                                allowedIP: IPNetwork("192.168.1.10/32")!)
    }

    @Test("nic add on a ready SGC: the gateway's endpoint, key, exceptions and mode; the PodEndpoint (§5.21)")
    func nicAddReady() async throws {
        try await ManagerWorld.run { world in
            let pod = try await world.createPod("test")
            try await world.createGateway()
            let client = try ManagerSocketClient(socketPath: world.socketPath)
            let assignment = try await client.nicAdd(try Self.nicAdd())
            #expect(assignment.endpoint == Endpoint("192.168.1.1:54321"))
            #expect(assignment.gatewayPublicKey.base64 == ManagerWorld.gatewayKey)
            #expect(assignment.exceptionCIDRs == [IPNetwork("1.2.3.4/32")!])
            #expect(assignment.defaultRoute == .staticEgressGateway)

            let endpoint = try await world.endpoints.get("test")
            #expect(endpoint.spec == PodEndpointSpec(staticGatewayConfiguration: "sgw1", podIpAddress: "192.168.1.10/32",
                                                     podPublicKey: ManagerWorld.podKey))
            #expect(endpoint.metadata.annotations == [PodEndpointRegistry.sandboxAnnotation: "sandbox-1"])
            #expect(endpoint.metadata.labels.isEmpty && endpoint.metadata.finalizers.isEmpty)
            #expect(endpoint.metadata.ownerReferences == [OwnerReference(apiVersion: "v1", kind: "Pod", name: "test",
                                                                         uid: pod.metadata.uid, controller: true,
                                                                         blockOwnerDeletion: true)])
            // The same ADD again writes nothing.
            let version = endpoint.metadata.resourceVersion
            _ = try await client.nicAdd(try Self.nicAdd())
            #expect(try await world.endpoints.get("test").metadata.resourceVersion == version)
        }
    }

    @Test("defaultRoute azureNetworking is passed on (§5.22)")
    func azureNetworking() async throws {
        try await ManagerWorld.run { world in
            try await world.createPod("test")
            try await world.createGateway(defaultRoute: .azureNetworking)
            let assignment = try await ManagerSocketClient(socketPath: world.socketPath).nicAdd(try Self.nicAdd())
            #expect(assignment.defaultRoute == .azureNetworking)
        }
    }

    @Test("SGC without egress prefix: not ready (try again later); missing SGC or pod: refused; no PodEndpoint (§5.20, §5.23)")
    func refusals() async throws {
        try await ManagerWorld.run { world in
            let client = try ManagerSocketClient(socketPath: world.socketPath)
            try await world.createPod("test")
            try await world.createGateway("pending", ready: false)
            await #expect(throws: EgressManagerError.notReady(
                "StaticGatewayConfiguration testns/pending is not ready: the egress IP prefix is not ready yet")) {
                try await client.nicAdd(try Self.nicAdd(gateway: "pending"))
            }
            await #expect(throws: EgressManagerError.rejected("StaticGatewayConfiguration testns/missing not found")) {
                try await client.nicAdd(try Self.nicAdd(gateway: "missing"))
            }
            try await world.createGateway()
            var other = try Self.nicAdd()
            other.pod = PodReference(namespace: "testns", name: "ghost")
            await #expect(throws: EgressManagerError.rejected("pod testns/ghost not found")) { try await client.nicAdd(other) }
            #expect(try await world.endpoints.list().items.isEmpty)
        }
    }

    @Test("a late DEL of an old sandbox keeps the PodEndpoint of the new one; the right DEL removes it")
    func sandboxSafety() async throws {
        try await ManagerWorld.run { world in
            try await world.createPod("test")
            try await world.createGateway()
            let client = try ManagerSocketClient(socketPath: world.socketPath)
            _ = try await client.nicAdd(try Self.nicAdd("old-sandbox"))
            _ = try await client.nicAdd(try Self.nicAdd("new-sandbox", key: "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk="))
            let updated = try await world.endpoints.get("test")
            #expect(updated.metadata.annotations[PodEndpointRegistry.sandboxAnnotation] == "new-sandbox")
            #expect(updated.spec.podPublicKey == "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=")

            try await client.nicDel(CNIPlugin.NicDelRequest(pod: Self.pod, containerID: "old-sandbox"))
            #expect(try await world.endpoints.get("test").metadata.uid == updated.metadata.uid)
            try await client.nicDel(CNIPlugin.NicDelRequest(pod: Self.pod, containerID: "new-sandbox"))
            #expect(try await world.endpoints.list().items.isEmpty)
            // Nothing left: a repeated DEL succeeds (§5.24).
            try await client.nicDel(CNIPlugin.NicDelRequest(pod: Self.pod, containerID: "new-sandbox"))
        }
    }

    @Test("pod annotations: exactly the pod's; a missing pod is refused (§5.25)")
    func annotations() async throws {
        try await ManagerWorld.run { world in
            try await world.createPod("test")
            try await world.createPod("plain", gateway: nil)
            let client = try ManagerSocketClient(socketPath: world.socketPath)
            #expect(try await client.podAnnotations(of: Self.pod) == [EgressGateway.podAnnotation: "sgw1"])
            #expect(try await client.podAnnotations(of: PodReference(namespace: "testns", name: "plain")) == [:])
            await #expect(throws: EgressManagerError.rejected("pod testns/ghost not found")) {
                try await client.podAnnotations(of: PodReference(namespace: "testns", name: "ghost"))
            }
        }
    }

    @Test("bad input is refused naming the field; oversized bodies are refused; the socket is mode 0600")
    func badInput() async throws {
        try await ManagerWorld.run { world in
            let http = try HTTPClient(configuration: HTTPClient.Configuration(proxy: .none, unixSocketPath: world.socketPath))
            func post(_ path: String, _ body: String) async throws -> (Int, String) {
                let response = try await http.execute(HTTPRequest(method: .post, url: "http://cni-manager" + path,
                                                                  headers: ["Content-Type": "application/json"],
                                                                  body: Array(body.utf8)))
                return (response.status, response.text)
            }
            let badKey = try await post("/v1/nic-add", """
                {"pod":{"namespace":"testns","name":"test"},"containerID":"c1","gatewayName":"sgw1",
                 "publicKey":"not-a-key","listenPort":1,"allowedIP":"10.0.0.1/32"}
                """)
            #expect(badKey.0 == 400)
            #expect(badKey.1.contains("invalid publicKey \\\"not-a-key\\\""))
            let badIP = try await post("/v1/nic-add", """
                {"pod":{"namespace":"testns","name":"test"},"containerID":"c1","gatewayName":"sgw1",
                 "publicKey":"\(ManagerWorld.podKey)","listenPort":1,"allowedIP":"10.0.0.0/24"}
                """)
            #expect(badIP.0 == 400 && badIP.1.contains("invalid allowedIP"))
            let badName = try await post("/v1/pod-annotations", #"{"pod":{"namespace":"Test NS","name":"x"}}"#)
            #expect(badName.0 == 400 && badName.1.contains("invalid pod.namespace"))
            let notJSON = try await post("/v1/nic-del", "{")
            #expect(notJSON.0 == 400 && notJSON.1.contains("nic-del: request body is not valid"))
            let huge = try await post("/v1/gc", #"{"validContainerIDs":[""# + String(repeating: "x", count: 300_000) + #""]}"#)
            #expect(huge.0 == 413)

            let attributes = try FileManager.default.attributesOfItem(atPath: world.socketPath)
            #expect((attributes[.posixPermissions] as? Int) == 0o600)
            let status = try await ManagerSocketClient(socketPath: world.socketPath).status()
            #expect(status.node == "node-a" && status.conflistInstalled)
        }
    }

    @Test("a missing socket is unreachable, quickly")
    func unreachable() async throws {
        let client = try ManagerSocketClient(socketPath: "/nonexistent/egw/cni.sock")
        await #expect(throws: EgressManagerError.self) { try await client.checkAvailable() }
        do {
            _ = try await client.podAnnotations(of: Self.pod)
        } catch {
            guard case .unreachable = error else { Issue.record("expected unreachable, got \(error)"); return }
        }
    }

    @Test("GC removes the PodEndpoints of this node's sandboxes that are no longer valid, and only those")
    func garbageCollect() async throws {
        try await ManagerWorld.run { world in
            try await world.createGateway()
            try await world.createPod("test")
            try await world.createPod("kept")
            try await world.createPod("elsewhere", node: "node-b")
            let client = try ManagerSocketClient(socketPath: world.socketPath)
            _ = try await client.nicAdd(try Self.nicAdd("stale"))
            for (name, sandbox) in [("kept", "live"), ("elsewhere", "other-node")] {
                var request = try Self.nicAdd(sandbox)
                request.pod = PodReference(namespace: "testns", name: name)
                _ = try await client.nicAdd(request)
            }
            #expect(try await client.collectGarbage(validContainerIDs: ["live"]) == ["testns/test"])
            #expect(Set(try await world.endpoints.list().items.map(\.metadata.name)) == ["kept", "elsewhere"])
        }
    }
}
