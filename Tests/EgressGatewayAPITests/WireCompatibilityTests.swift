import EgressGatewayAPI
import Foundation
import Kube
import Testing

/// Objects as the Go version writes them (through the API server, so with the CRD defaults applied). Each must
/// decode, and encode back to exactly the same JSON: same member names, same members present.
enum GoSamples {
    static let sgcWithVmssProfile = #"""
    {
      "apiVersion": "egressgateway.kubernetes.azure.com/v1alpha1",
      "kind": "StaticGatewayConfiguration",
      "metadata": {
        "name": "myegressgateway", "namespace": "default", "uid": "4d2a1f0e-7c3b-4a59-9e1d-2b3c4d5e6f70",
        "resourceVersion": "48121", "generation": 2, "creationTimestamp": "2026-01-02T03:04:05Z",
        "finalizers": ["static-gateway-configuration-controller.microsoft.com"]
      },
      "spec": {
        "gatewayVmssProfile": {"vmssResourceGroup": "myResourceGroup", "vmssName": "myGatewayVMSS",
                               "publicIpPrefixSize": 31},
        "defaultRoute": "staticEgressGateway",
        "provisionPublicIps": true,
        "excludeCidrs": ["10.244.0.0/16", "10.245.0.0/16"]
      },
      "status": {
        "egressIpPrefix": "20.1.2.4/31",
        "gatewayServerProfile": {
          "ip": "10.243.0.7", "port": 6000, "publicKey": "o3GkfO0k2wRxgP0Pp4YVd6Ix8QdCfA9Xwq0o0pMhUkw=",
          "privateKeySecretRef": {"apiVersion": "v1", "kind": "Secret",
                                  "name": "sgw-4d2a1f0e-7c3b-4a59-9e1d-2b3c4d5e6f70",
                                  "namespace": "kube-egress-gateway-system"}
        }
      }
    }
    """#

    /// Private mode, just created: the Go operator wrote `gatewayVmssProfile: {}` and `status.gatewayServerProfile: {}`.
    static let sgcWithNodepool = #"""
    {
      "apiVersion": "egressgateway.kubernetes.azure.com/v1alpha1",
      "kind": "StaticGatewayConfiguration",
      "metadata": {"name": "private-gw", "namespace": "team-a", "uid": "9a8b7c6d-0000-4000-8000-000000000001",
                   "resourceVersion": "7", "generation": 1, "creationTimestamp": "2026-01-02T03:04:05Z"},
      "spec": {"gatewayNodepoolName": "gwpool", "gatewayVmssProfile": {}, "defaultRoute": "azureNetworking",
               "provisionPublicIps": false},
      "status": {"gatewayServerProfile": {}}
    }
    """#

    static let lbConfiguration = #"""
    {
      "apiVersion": "egressgateway.kubernetes.azure.com/v1alpha1",
      "kind": "GatewayLBConfiguration",
      "metadata": {
        "name": "myegressgateway", "namespace": "default", "uid": "5e6f7081-92a3-4b4c-8d5e-6f708192a3b4",
        "resourceVersion": "48110", "generation": 1, "creationTimestamp": "2026-01-02T03:04:06Z",
        "finalizers": ["gateway-lb-configuration-controller.microsoft.com"],
        "ownerReferences": [{"apiVersion": "egressgateway.kubernetes.azure.com/v1alpha1",
                             "kind": "StaticGatewayConfiguration", "name": "myegressgateway",
                             "uid": "4d2a1f0e-7c3b-4a59-9e1d-2b3c4d5e6f70", "controller": true,
                             "blockOwnerDeletion": true}]
      },
      "spec": {"gatewayVmssProfile": {"vmssResourceGroup": "myResourceGroup", "vmssName": "myGatewayVMSS",
                                      "publicIpPrefixSize": 31},
               "provisionPublicIps": true},
      "status": {"frontendIp": "10.243.0.7", "serverPort": 6000, "egressIpPrefix": "20.1.2.4/31"}
    }
    """#

    /// Just created: the status pointer is nil, so there is no `status` key.
    static let lbConfigurationWithoutStatus = #"""
    {
      "apiVersion": "egressgateway.kubernetes.azure.com/v1alpha1",
      "kind": "GatewayLBConfiguration",
      "metadata": {"name": "private-gw", "namespace": "team-a"},
      "spec": {"gatewayNodepoolName": "gwpool", "gatewayVmssProfile": {}, "provisionPublicIps": false}
    }
    """#

    static let vmConfiguration = #"""
    {
      "apiVersion": "egressgateway.kubernetes.azure.com/v1alpha1",
      "kind": "GatewayVMConfiguration",
      "metadata": {"name": "private-gw", "namespace": "team-a", "uid": "6f708192-a3b4-4c5d-9e6f-708192a3b4c5",
                   "finalizers": ["gateway-vm-configuration-controller.microsoft.com"]},
      "spec": {"gatewayNodepoolName": "gwpool", "gatewayVmssProfile": {}, "provisionPublicIps": false},
      "status": {"egressIpPrefix": "10.0.1.8,10.0.1.9",
                 "gatewayVMProfiles": [
                   {"nodeName": "aks-gwpool-12345678-vmss000000", "primaryIP": "10.0.1.4", "secondaryIP": "10.0.1.8"},
                   {"nodeName": "aks-gwpool-12345678-vmss000001", "primaryIP": "10.0.1.5", "secondaryIP": "10.0.1.9"}]}
    }
    """#

    static let gatewayStatus = #"""
    {
      "apiVersion": "egressgateway.kubernetes.azure.com/v1alpha1",
      "kind": "GatewayStatus",
      "metadata": {"name": "aks-gwpool-12345678-vmss000000", "namespace": "kube-egress-gateway-system",
                   "ownerReferences": [{"apiVersion": "v1", "kind": "Node", "name": "aks-gwpool-12345678-vmss000000",
                                        "uid": "1b2c3d4e-0000-4000-8000-0000000000aa"}]},
      "spec": {
        "readyGatewayConfigurations": [{"staticGatewayConfiguration": "default/myegressgateway",
                                        "interfaceName": "wg-6000"}],
        "readyPeerConfigurations": [
          {"podEndpoint": "default/samplepod", "interfaceName": "wg-6000",
           "publicKey": "Xo1l8qg2nU0m0sQ2Zt9l0c2Xk3PpYxUo6qGgk0w0QmM="},
          {"podEndpoint": "default/otherpod", "interfaceName": "wg-6000",
           "publicKey": "c2FtcGxlLXB1YmxpYy1rZXktZm9yLWEtdGVzdC1wZWVy"}]
      },
      "status": {}
    }
    """#

    static let podEndpoint = #"""
    {
      "apiVersion": "egressgateway.kubernetes.azure.com/v1alpha1",
      "kind": "PodEndpoint",
      "metadata": {"name": "samplepod", "namespace": "default",
                   "ownerReferences": [{"apiVersion": "v1", "kind": "Pod", "name": "samplepod",
                                        "uid": "2c3d4e5f-0000-4000-8000-0000000000bb", "controller": true,
                                        "blockOwnerDeletion": true}]},
      "spec": {"staticGatewayConfiguration": "myegressgateway", "podIpAddress": "10.244.0.20/32",
               "podPublicKey": "Xo1l8qg2nU0m0sQ2Zt9l0c2Xk3PpYxUo6qGgk0w0QmM="},
      "status": {}
    }
    """#
}

@Suite struct WireCompatibilityTests {
    @Test func staticGatewayConfigurationWithVmssProfileAndStatus() throws {
        let sgc = try expectRoundTrip(StaticGatewayConfiguration.self, GoSamples.sgcWithVmssProfile)
        #expect(sgc.spec.gatewayVmssProfile == GatewayVmssProfile(
            vmssResourceGroup: "myResourceGroup", vmssName: "myGatewayVMSS", publicIpPrefixSize: 31))
        #expect(sgc.spec.gatewayNodepoolName.isEmpty)
        #expect(sgc.spec.excludeCidrs == ["10.244.0.0/16", "10.245.0.0/16"])
        #expect(sgc.status.egressIpPrefix == "20.1.2.4/31")
        #expect(sgc.status.gatewayServerProfile.port == 6000)
        #expect(sgc.status.gatewayServerProfile.privateKeySecretRef?.name
            == EgressGateway.keySecretName(staticGatewayConfigurationUID: sgc.metadata.uid))
        #expect(sgc.status.isProvisioned)
        #expect(sgc.metadata.hasFinalizer(EgressGateway.Finalizer.staticGatewayConfiguration))
    }

    @Test func staticGatewayConfigurationWithNodepoolInPrivateMode() throws {
        let sgc = try expectRoundTrip(StaticGatewayConfiguration.self, GoSamples.sgcWithNodepool)
        #expect(sgc.spec.gatewayNodepoolName == "gwpool")
        #expect(sgc.spec.gatewayVmssProfile.isEmpty)
        #expect(sgc.spec.defaultRoute == .azureNetworking)
        #expect(!sgc.spec.provisionPublicIps)
        #expect(!sgc.status.isProvisioned)
    }

    @Test func internalConfigurations() throws {
        let lb = try expectRoundTrip(GatewayLBConfiguration.self, GoSamples.lbConfiguration)
        #expect(lb.status == GatewayLBConfigurationStatus(
            frontendIp: "10.243.0.7", serverPort: 6000, egressIpPrefix: "20.1.2.4/31"))
        #expect(lb.metadata.controllerReference?.kind == "StaticGatewayConfiguration")
        let fresh = try expectRoundTrip(GatewayLBConfiguration.self, GoSamples.lbConfigurationWithoutStatus)
        #expect(fresh.status == nil)
        let vm = try expectRoundTrip(GatewayVMConfiguration.self, GoSamples.vmConfiguration)
        #expect(vm.status?.gatewayVMProfiles.map(\.secondaryIP) == ["10.0.1.8", "10.0.1.9"])
    }

    @Test func gatewayStatusAndPodEndpoint() throws {
        let status = try expectRoundTrip(GatewayStatus.self, GoSamples.gatewayStatus)
        #expect(status.spec.readyGatewayConfigurations == [
            GatewayConfiguration(staticGatewayConfiguration: "default/myegressgateway", interfaceName: "wg-6000"),
        ])
        #expect(status.spec.readyPeerConfigurations.map(\.podEndpoint) == ["default/samplepod", "default/otherpod"])
        let endpoint = try expectRoundTrip(PodEndpoint.self, GoSamples.podEndpoint)
        #expect(endpoint.spec == PodEndpointSpec(
            staticGatewayConfiguration: "myegressgateway", podIpAddress: "10.244.0.20/32",
            podPublicKey: "Xo1l8qg2nU0m0sQ2Zt9l0c2Xk3PpYxUo6qGgk0w0QmM="))
    }

    @Test func listsOfEveryKind() throws {
        func list(_ kind: String, _ item: String) -> String {
            #"{"apiVersion": "egressgateway.kubernetes.azure.com/v1alpha1", "kind": "\#(kind)List", "#
                + #""metadata": {"resourceVersion": "48200"}, "items": [\#(item)]}"#
        }
        #expect(try expectRoundTrip(StaticGatewayConfigurationList.self,
                                    list("StaticGatewayConfiguration", GoSamples.sgcWithVmssProfile)).items.count == 1)
        try expectRoundTrip(GatewayLBConfigurationList.self, list("GatewayLBConfiguration", GoSamples.lbConfiguration))
        try expectRoundTrip(GatewayVMConfigurationList.self, list("GatewayVMConfiguration", GoSamples.vmConfiguration))
        try expectRoundTrip(GatewayStatusList.self, list("GatewayStatus", GoSamples.gatewayStatus))
        try expectRoundTrip(PodEndpointList.self, list("PodEndpoint", GoSamples.podEndpoint))
        #expect(throws: DecodingError.self) {
            try decode(PodEndpointList.self, list("GatewayStatus", GoSamples.podEndpoint))
        }
    }

    @Test func absentAndEmptyProfilesAreEqual() throws {
        let absent = try decode(StaticGatewayConfigurationSpec.self, #"{"gatewayNodepoolName": "gw"}"#)
        let empty = try decode(StaticGatewayConfigurationSpec.self, #"{"gatewayNodepoolName": "gw", "gatewayVmssProfile": {}}"#)
        #expect(absent == empty)
        #expect(try encoded(absent)["gatewayVmssProfile"] == [:])
    }

    @Test func absentMembersTakeTheCRDDefaults() throws {
        let spec = try decode(StaticGatewayConfigurationSpec.self, #"{"gatewayNodepoolName": "gw"}"#)
        #expect(spec.provisionPublicIps)
        #expect(spec.defaultRoute == .staticEgressGateway)
        let lb = try decode(GatewayLBConfigurationSpec.self, #"{}"#)
        #expect(lb.provisionPublicIps)
    }

    /// What the Go version would write for the same objects: `provisionPublicIps` even when false, the empty
    /// profile as `{}`, and the SGC status as `{gatewayServerProfile: {}}`.
    @Test func newObjectsAreWrittenAsGoWritesThem() throws {
        let sgc = StaticGatewayConfiguration(
            metadata: ObjectMeta(name: "gw", namespace: "ns"),
            spec: StaticGatewayConfigurationSpec(gatewayNodepoolName: "gwpool", provisionPublicIps: false))
        #expect(try encoded(sgc) == json(#"""
            {"apiVersion": "egressgateway.kubernetes.azure.com/v1alpha1", "kind": "StaticGatewayConfiguration",
             "metadata": {"name": "gw", "namespace": "ns"},
             "spec": {"gatewayNodepoolName": "gwpool", "gatewayVmssProfile": {}, "defaultRoute": "staticEgressGateway",
                      "provisionPublicIps": false},
             "status": {"gatewayServerProfile": {}}}
            """#))

        var lb = GatewayLBConfiguration(metadata: ObjectMeta(name: "gw", namespace: "ns"),
                                        spec: GatewayLBConfigurationSpec(copying: sgc.spec))
        lb.metadata.ownerReferences = [OwnerReference(controlledBy: sgc)]
        #expect(try encoded(lb)["spec"] == json(#"""
            {"gatewayNodepoolName": "gwpool", "gatewayVmssProfile": {}, "provisionPublicIps": false}
            """#))
        #expect(try encoded(lb)["status"] == nil)
        #expect(try encoded(lb)["metadata"]?["ownerReferences"] == json(#"""
            [{"apiVersion": "egressgateway.kubernetes.azure.com/v1alpha1", "kind": "StaticGatewayConfiguration",
              "name": "gw", "uid": "", "controller": true, "blockOwnerDeletion": true}]
            """#))
        let vm = GatewayVMConfigurationSpec(copying: lb.spec)
        #expect(vm.hasSameTarget(as: sgc.spec))

        let endpoint = PodEndpoint(metadata: ObjectMeta(name: "p", namespace: "ns"), spec: PodEndpointSpec(
            staticGatewayConfiguration: "gw", podIpAddress: "10.244.0.20/32", podPublicKey: "k"))
        #expect(try encoded(endpoint)["status"] == [:])
    }

    @Test func switchingFromProfileToNodepoolClearsTheProfile() throws {
        var lb = try decode(GatewayLBConfiguration.self, GoSamples.lbConfiguration)
        let sgc = StaticGatewayConfigurationSpec(gatewayNodepoolName: "testgw1", provisionPublicIps: false)
        lb.spec.copyTarget(from: sgc)
        #expect(try encoded(lb.spec) == json(#"""
            {"gatewayNodepoolName": "testgw1", "gatewayVmssProfile": {}, "provisionPublicIps": false}
            """#))
    }

    /// Members only a newer version knows, at every level, survive an update made by this code.
    @Test func unknownMembersArePreservedAtEveryLevel() throws {
        let text = #"""
        {
          "apiVersion": "egressgateway.kubernetes.azure.com/v1alpha1", "kind": "StaticGatewayConfiguration",
          "metadata": {"name": "gw", "namespace": "ns", "futureMeta": 1},
          "spec": {"gatewayVmssProfile": {"vmssResourceGroup": "rg", "vmssName": "vmss", "publicIpPrefixSize": 30,
                                          "zones": ["1", "2"]},
                   "defaultRoute": "staticEgressGateway", "provisionPublicIps": true,
                   "gatewayVmProfile": {"nicTag": "x"}},
          "status": {"gatewayServerProfile": {"ip": "10.0.0.4", "port": 6001, "ipv6": "fd00::4"},
                     "activeNodes": ["n1"]},
          "futureTop": {"a": [1, 2.5, null]}
        }
        """#
        var sgc = try expectRoundTrip(StaticGatewayConfiguration.self, text)
        sgc.spec.excludeCidrs = ["10.0.0.0/8"]
        sgc.status.setReady(.provisioned, message: "ready", generation: 3, now: Timestamp(secondsSince1970: 0))
        let written = try encoded(sgc)
        #expect(written["futureTop"] == ["a": [1, 2.5, nil]])
        #expect(written["metadata"]?["futureMeta"] == 1)
        #expect(written["spec"]?["gatewayVmProfile"] == ["nicTag": "x"])
        #expect(written["spec"]?["gatewayVmssProfile"]?["zones"] == ["1", "2"])
        #expect(written["spec"]?["excludeCidrs"] == ["10.0.0.0/8"])
        #expect(written["status"]?["activeNodes"] == ["n1"])
        #expect(written["status"]?["gatewayServerProfile"]?["ipv6"] == "fd00::4")
        #expect(written["status"]?["observedGeneration"] == 3)

        let peers = try decode(GatewayStatus.self, #"""
            {"spec": {"readyPeerConfigurations": [{"podEndpoint": "a/b", "publicKey": "k", "allowedIPs": ["x"]}],
                      "futureSpec": true},
             "status": {"futureStatus": "s"}}
            """#)
        #expect(try encoded(peers)["spec"]?["readyPeerConfigurations"] == [["podEndpoint": "a/b", "publicKey": "k",
                                                                           "allowedIPs": ["x"]]])
        #expect(try encoded(peers)["spec"]?["futureSpec"] == true)
        #expect(try encoded(peers)["status"] == ["futureStatus": "s"])
    }

    /// Every member this code writes is one the Go version knows (spec §1), or one of the additive status members
    /// that its decoder ignores. Checked against a list written from the spec, independent of the model.
    @Test func writesOnlyMembersTheGoVersionKnowsPlusTheAdditiveOnes() throws {
        let upstream: Set<String> = [
            "apiVersion", "kind", "metadata", "spec", "status",
            "spec.gatewayNodepoolName", "spec.gatewayVmssProfile", "spec.gatewayVmssProfile.vmssResourceGroup",
            "spec.gatewayVmssProfile.vmssName", "spec.gatewayVmssProfile.publicIpPrefixSize", "spec.defaultRoute",
            "spec.provisionPublicIps", "spec.publicIpPrefixId", "spec.excludeCidrs",
            "status.egressIpPrefix", "status.gatewayServerProfile", "status.gatewayServerProfile.ip",
            "status.gatewayServerProfile.port", "status.gatewayServerProfile.publicKey",
            "status.gatewayServerProfile.privateKeySecretRef",
            "status.frontendIp", "status.serverPort", "status.gatewayVMProfiles", "status.gatewayVMProfiles.nodeName",
            "status.gatewayVMProfiles.primaryIP", "status.gatewayVMProfiles.secondaryIP",
            "spec.readyGatewayConfigurations", "spec.readyGatewayConfigurations.staticGatewayConfiguration",
            "spec.readyGatewayConfigurations.interfaceName", "spec.readyPeerConfigurations",
            "spec.readyPeerConfigurations.podEndpoint", "spec.readyPeerConfigurations.interfaceName",
            "spec.readyPeerConfigurations.publicKey",
            "spec.staticGatewayConfiguration", "spec.podIpAddress", "spec.podPublicKey",
        ]
        let additive: Set<String> = ["status.conditions", "status.observedGeneration"]
        for object in try FullObjects.all() {
            let paths = memberPaths(object, stopAt: ["metadata", "status.gatewayServerProfile.privateKeySecretRef",
                                                     "status.conditions"])
            #expect(paths.subtracting(upstream).subtracting(additive).isEmpty, "\(paths.subtracting(upstream))")
        }
    }
}

/// One fully populated object of each kind: every modelled member set, so encoders write every member.
enum FullObjects {
    static func all() throws -> [JSONValue] {
        let profile = GatewayVmssProfile(vmssResourceGroup: "rg", vmssName: "vmss", publicIpPrefixSize: 31)
        var sgcStatus = StaticGatewayConfigurationStatus(
            egressIpPrefix: "1.2.3.4/31",
            gatewayServerProfile: GatewayServerProfile(
                ip: "10.0.0.4", port: 6000, publicKey: "pk",
                privateKeySecretRef: ObjectReference(apiVersion: "v1", kind: "Secret", name: "s", namespace: "n",
                                                     uid: "u", resourceVersion: "1", fieldPath: "f")))
        sgcStatus.setReady(.provisioned, message: "m", generation: 1, now: Timestamp(secondsSince1970: 0))
        let sgc = StaticGatewayConfiguration(
            metadata: ObjectMeta(name: "n", namespace: "ns"),
            spec: StaticGatewayConfigurationSpec(gatewayNodepoolName: "p", gatewayVmssProfile: profile,
                                                 defaultRoute: .azureNetworking, provisionPublicIps: true,
                                                 publicIpPrefixId: "id", excludeCidrs: ["10.0.0.0/8"]),
            status: sgcStatus)
        var lbStatus = GatewayLBConfigurationStatus(frontendIp: "10.0.0.4", serverPort: 6000, egressIpPrefix: "x")
        lbStatus.setReady(.waitingForGatewayIPs, message: "m", generation: 1, now: Timestamp(secondsSince1970: 0))
        var lbSpec = GatewayLBConfigurationSpec(copying: sgc.spec)
        lbSpec.gatewayNodepoolName = "p"
        let lb = GatewayLBConfiguration(metadata: ObjectMeta(name: "n"), spec: lbSpec, status: lbStatus)
        var vmStatus = GatewayVMConfigurationStatus(
            egressIpPrefix: "x", gatewayVMProfiles: [GatewayVMProfile(nodeName: "a", primaryIP: "b", secondaryIP: "c")])
        vmStatus.setReady(.provisioned, message: "m", generation: 1, now: Timestamp(secondsSince1970: 0))
        let vm = GatewayVMConfiguration(metadata: ObjectMeta(name: "n"), spec: GatewayVMConfigurationSpec(copying: lbSpec),
                                        status: vmStatus)
        let gatewayStatus = GatewayStatus(metadata: ObjectMeta(name: "n"), spec: GatewayStatusSpec(
            readyGatewayConfigurations: [GatewayConfiguration(staticGatewayConfiguration: "a/b", interfaceName: "wg-6000")],
            readyPeerConfigurations: [PeerConfiguration(podEndpoint: "a/b", interfaceName: "wg-6000", publicKey: "k")]))
        let endpoint = PodEndpoint(metadata: ObjectMeta(name: "n"), spec: PodEndpointSpec(
            staticGatewayConfiguration: "g", podIpAddress: "10.0.0.1/32", podPublicKey: "k"))
        return try [encoded(gatewayStatus), encoded(lb), encoded(vm), encoded(endpoint), encoded(sgc)]
    }
}

/// Dotted paths of every object member in `value` (array elements share their array's path), not descending
/// below `stopAt` paths.
func memberPaths(_ value: JSONValue, prefix: String = "", stopAt: Set<String> = []) -> Set<String> {
    switch value {
    case .object(let members):
        var paths: Set<String> = []
        for (key, member) in members {
            let path = prefix.isEmpty ? key : "\(prefix).\(key)"
            paths.insert(path)
            if !stopAt.contains(path) { paths.formUnion(memberPaths(member, prefix: path, stopAt: stopAt)) }
        }
        return paths
    case .array(let elements):
        return elements.reduce(into: Set<String>()) { $0.formUnion(memberPaths($1, prefix: prefix, stopAt: stopAt)) }
    default:
        return []
    }
}
