import Foundation
import Kube
import Testing

/// Objects as a newer API server returns them: members this code does not model appear at every level and must
/// survive a decode and an encode (an update built from a read must not drop them).
@Suite struct CoreObjectTests {
    static let pod = #"""
    {
      "apiVersion": "v1",
      "kind": "Pod",
      "metadata": {
        "name": "web-7d4b9c",
        "generateName": "web-",
        "namespace": "shop",
        "uid": "0f3c2a9e-5b1d-4c77-9a2e-3f1f0c1d2e3f",
        "resourceVersion": "48213",
        "creationTimestamp": "2026-01-02T03:04:05Z",
        "labels": {"app": "web"},
        "annotations": {"kubernetes.azure.com/static-gateway-configuration": "gw1"},
        "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web", "uid": "r-1",
                             "controller": true, "blockOwnerDeletion": true}],
        "managedFields": [{"manager": "kube-controller-manager", "operation": "Update", "apiVersion": "v1",
                           "time": "2026-01-02T03:04:05Z", "fieldsType": "FieldsV1", "fieldsV1": {"f:metadata": {}}}],
        "selfLink": "/api/v1/namespaces/shop/pods/web-7d4b9c"
      },
      "spec": {
        "nodeName": "aks-nodepool1-12345678-vmss000000",
        "containers": [{"name": "web", "image": "nginx:1.27", "ports": [{"containerPort": 80, "protocol": "TCP"}],
                        "resources": {}}],
        "restartPolicy": "Always",
        "schedulingGates": []
      },
      "status": {
        "phase": "Running",
        "hostIP": "10.224.0.4",
        "podIP": "10.244.0.20",
        "podIPs": [{"ip": "10.244.0.20"}, {"ip": "fd00::14"}],
        "qosClass": "BestEffort",
        "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": "2026-01-02T03:04:09Z",
                        "lastProbeTime": null}]
      },
      "futureTopLevel": {"enabled": true}
    }
    """#

    @Test func podReadsWhatTheProjectNeedsAndKeepsTheRest() throws {
        let pod = try expectRoundTrip(Pod.self, Self.pod)
        #expect(pod.metadata.name == "web-7d4b9c" && pod.metadata.namespace == "shop")
        #expect(pod.metadata.creationTimestamp?.description == "2026-01-02T03:04:05Z")
        #expect(pod.metadata.controllerReference?.kind == "ReplicaSet")
        #expect(pod.metadata.annotations["kubernetes.azure.com/static-gateway-configuration"] == "gw1")
        #expect(pod.spec.nodeName == "aks-nodepool1-12345678-vmss000000")
        #expect(!pod.spec.hostNetwork)
        #expect(pod.spec.containers.map(\.name) == ["web"])
        #expect(pod.status.podIP == "10.244.0.20")
        #expect(pod.status.podIPs.map(\.ip) == ["10.244.0.20", "fd00::14"])
        #expect(pod.status.phase == "Running")
        #expect(pod.key == "shop/web-7d4b9c")
        #expect(pod.unknownFields["futureTopLevel"] == ["enabled": true])
        #expect(pod.metadata.unknownFields["selfLink"] == "/api/v1/namespaces/shop/pods/web-7d4b9c")
        #expect(pod.spec.containers[0].unknownFields["image"] == "nginx:1.27")
        #expect(pod.status.unknownFields["qosClass"] == "BestEffort")
    }

    @Test func anUpdateKeepsUnknownMembersAndWritesTheChange() throws {
        var pod = try decode(Pod.self, Self.pod)
        pod.metadata.labels["egress"] = "on"
        pod.metadata.addFinalizer("example.com/cleanup")
        let written = try encoded(pod)
        #expect(written["metadata"]?["labels"] == ["app": "web", "egress": "on"])
        #expect(written["metadata"]?["finalizers"] == ["example.com/cleanup"])
        #expect(written["spec"]?["restartPolicy"] == "Always")
        #expect(written["spec"]?["containers"]?.arrayValue?.first?["ports"] != nil)
        #expect(written["metadata"]?["managedFields"]?.arrayValue?.count == 1)
        #expect(written["futureTopLevel"] != nil)
    }

    @Test func newObjectsWriteOnlyWhatIsSet() throws {
        let pod = Pod(metadata: ObjectMeta(name: "p", namespace: "ns"), spec: PodSpec(containers: [Container(name: "c")]))
        #expect(try encoded(pod) == json(#"""
            {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "ns"},
             "spec": {"containers": [{"name": "c"}]}, "status": {}}
            """#))
    }

    @Test func listItemsWithoutTypeMetaDecode() throws {
        let list = try expectRoundTrip(KubernetesList<Pod>.self, #"""
            {"apiVersion": "v1", "kind": "PodList", "metadata": {"resourceVersion": "99", "continue": "abc"},
             "items": [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a"}, "spec": {"containers": []},
                        "status": {}}]}
            """#)
        #expect(list.metadata.resourceVersion == "99" && list.metadata.continue == "abc")
        let bare = try decode(KubernetesList<Pod>.self, #"{"items": [{"metadata": {"name": "a"}}], "metadata": {}}"#)
        #expect(bare.items.first?.metadata.name == "a")
        #expect(bare.kind == "PodList")
        let null = try decode(KubernetesList<Pod>.self, #"{"kind": "PodList", "apiVersion": "v1", "items": null}"#)
        #expect(null.items.isEmpty)
    }

    @Test func anObjectOfAnotherKindIsRejected() {
        #expect(throws: DecodingError.self) { try decode(Pod.self, #"{"apiVersion": "v1", "kind": "Node"}"#) }
        #expect(throws: DecodingError.self) {
            try decode(Lease.self, #"{"apiVersion": "coordination.k8s.io/v1beta1", "kind": "Lease"}"#)
        }
        #expect(throws: DecodingError.self) { try decode(Pod.self, #"{"metadata": {"name": 5}}"#) }
    }

    @Test func nodeKeepsTaintsAddressesAndUnknownMembers() throws {
        let node = try expectRoundTrip(Node.self, #"""
            {"apiVersion": "v1", "kind": "Node",
             "metadata": {"name": "aks-gwpool-1-vmss000000", "labels": {"kubernetes.azure.com/agentpool": "gwpool"}},
             "spec": {"providerID": "azure:///subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/gw/virtualMachines/0",
                      "taints": [{"key": "kubeegressgateway.azure.com/mode", "value": "true", "effect": "NoSchedule"},
                                 {"key": "node.kubernetes.io/not-ready", "effect": "NoExecute",
                                  "timeAdded": "2026-01-02T03:04:05Z"}],
                      "podCIDR": "10.244.1.0/24"},
             "status": {"addresses": [{"type": "InternalIP", "address": "10.224.0.5"},
                                      {"type": "Hostname", "address": "aks-gwpool-1-vmss000000"}],
                        "nodeInfo": {"kubeletVersion": "v1.32.4"}}}
            """#)
        #expect(node.spec.taints.map(\.effect) == ["NoSchedule", "NoExecute"])
        #expect(node.spec.taints[1].timeAdded?.description == "2026-01-02T03:04:05Z")
        #expect(node.status.address(ofType: "InternalIP") == "10.224.0.5")
        #expect(node.spec.unknownFields["podCIDR"] == "10.244.1.0/24")
        #expect(Node.resource.namespaced == false)
    }

    @Test func secretDataIsBase64OnTheWireAndBytesInCode() throws {
        let secret = try expectRoundTrip(Secret.self, #"""
            {"apiVersion": "v1", "kind": "Secret",
             "metadata": {"name": "sgw-0f3c", "namespace": "kube-egress-gateway-system"},
             "data": {"PrivateKey": "b0dIbUtTbVM=", "PublicKey": ""}, "type": "Opaque", "futureField": 1}
            """#)
        #expect(secret.string(forKey: "PrivateKey") == "oGHmKSmS")
        #expect(secret.data["PublicKey"] == Data())
        #expect(secret.unknownFields["futureField"] == 1)

        var created = Secret(metadata: ObjectMeta(name: "s", namespace: "ns"))
        created.data["key"] = Data("value".utf8)
        #expect(try encoded(created)["data"] == ["key": "dmFsdWU="])

        let error = #expect(throws: DecodingError.self) {
            try decode(Secret.self, #"{"data": {"PrivateKey": "%%%"}}"#)
        }
        #expect(String(describing: error).contains("data.PrivateKey is not base64"))
    }

    @Test func configMapNamespaceAndEventRoundTrip() throws {
        let configMap = try expectRoundTrip(ConfigMap.self, #"""
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": "ns"},
             "data": {"a": "1"}, "binaryData": {"b": "AAE="}, "immutable": true}
            """#)
        #expect(configMap.binaryData["b"] == Data([0, 1]))
        let namespace = try expectRoundTrip(Namespace.self, #"""
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kube-egress-gateway-system"},
             "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}
            """#)
        #expect(namespace.unknownFields["status"]?["phase"] == "Active")
        let event = try expectRoundTrip(Event.self, #"""
            {"apiVersion": "v1", "kind": "Event", "metadata": {"name": "gw1.17f", "namespace": "default"},
             "involvedObject": {"apiVersion": "egressgateway.kubernetes.azure.com/v1alpha1",
                                "kind": "StaticGatewayConfiguration", "name": "gw1", "namespace": "default",
                                "uid": "u1", "resourceVersion": "7"},
             "reason": "InvalidSpec", "message": "bad", "source": {"component": "staticGatewayConfiguration-controller"},
             "firstTimestamp": "2026-01-02T03:04:05Z", "lastTimestamp": "2026-01-02T03:05:05Z", "count": 2,
             "type": "Warning"}
            """#)
        #expect(event.count == 2 && event.type == Event.warning)
        #expect(event.involvedObject.kind == "StaticGatewayConfiguration")
        // Go writes `eventTime: null` and empty reporting fields; they decode as absent.
        let fromGo = try decode(Event.self, #"{"eventTime": null, "reportingComponent": "", "source": {}}"#)
        #expect(fromGo.eventTime == nil)
        #expect(try encoded(fromGo)["eventTime"] == nil)
    }

    @Test func leaseTimesAreMicroTime() throws {
        let lease = try expectRoundTrip(Lease.self, #"""
            {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
             "metadata": {"name": "egressgw-operator", "namespace": "kube-egress-gateway-system",
                          "resourceVersion": "12"},
             "spec": {"holderIdentity": "operator-0_1a2b", "leaseDurationSeconds": 15,
                      "acquireTime": "2026-01-02T03:04:05.000000Z", "renewTime": "2026-01-02T03:04:17.123456Z",
                      "leaseTransitions": 3, "strategy": "OldestEmulationVersion"}}
            """#)
        #expect(lease.spec.renewTime?.microsecondsSince1970 == 1_767_323_057_123_456)
        #expect(lease.spec.unknownFields["strategy"] == "OldestEmulationVersion")
        #expect(Lease.resource.objectPath(name: "egressgw-operator", namespace: "kube-egress-gateway-system")
            == "/apis/coordination.k8s.io/v1/namespaces/kube-egress-gateway-system/leases/egressgw-operator")
    }

    @Test func finalizerHelpersReportChanges() {
        var meta = ObjectMeta(name: "x")
        let added = meta.addFinalizer("a")
        let addedAgain = meta.addFinalizer("a")
        #expect(added && !addedAgain && meta.hasFinalizer("a"))
        let removed = meta.removeFinalizer("a")
        let removedAgain = meta.removeFinalizer("a")
        #expect(removed && !removedAgain && meta.finalizers.isEmpty)
        #expect(!meta.isBeingDeleted)
    }
}
