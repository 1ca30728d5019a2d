import EgressGatewayAPI
import Kube
import Testing

@Suite struct DerivedNamesTests {
    @Test func fixedStringsMatchTheGoVersion() {
        #expect(EgressGateway.apiVersion == "egressgateway.kubernetes.azure.com/v1alpha1")
        #expect(EgressGateway.podAnnotation == "kubernetes.azure.com/static-gateway-configuration")
        #expect(EgressGateway.Finalizer.staticGatewayConfiguration == "static-gateway-configuration-controller.microsoft.com")
        #expect(EgressGateway.Finalizer.gatewayLBConfiguration == "gateway-lb-configuration-controller.microsoft.com")
        #expect(EgressGateway.Finalizer.gatewayVMConfiguration == "gateway-vm-configuration-controller.microsoft.com")
        #expect(EgressGateway.SecretLabel.owningGatewayConfigNamespace
            == "egressgateway.kubernetes.azure.com/owning-gateway-config-namespace")
        #expect(EgressGateway.SecretLabel.owningGatewayConfigName
            == "egressgateway.kubernetes.azure.com/owning-gateway-config-name")
        #expect(EgressGateway.SecretKey.privateKey == "PrivateKey" && EgressGateway.SecretKey.publicKey == "PublicKey")
        #expect(EgressGateway.keySecretName(staticGatewayConfigurationUID: "abc") == "sgw-abc")
        #expect(EgressGateway.managedResourceName(gatewayVMConfigurationUID: "abc") == "egressgateway-abc")
        #expect(EgressGateway.probePath(staticGatewayConfigurationUID: "abc") == "/gw/abc")
        #expect(EgressGateway.defaultLoadBalancerName == "kubeegressgateway-ilb")
        #expect(EgressGateway.wireGuardPorts.first == 6000 && EgressGateway.wireGuardPorts.last == 6999)
    }

    @Test func resourcesOfTheFiveKinds() {
        #expect(StaticGatewayConfiguration.resource.qualifiedPlural
            == "staticgatewayconfigurations.egressgateway.kubernetes.azure.com")
        #expect(GatewayStatus.resource.plural == "gatewaystatuses")
        #expect(PodEndpoint.resource.objectPath(name: "p", namespace: "ns")
            == "/apis/egressgateway.kubernetes.azure.com/v1alpha1/namespaces/ns/podendpoints/p")
        #expect(GatewayLBConfiguration.resource.listKind == "GatewayLBConfigurationList")
        #expect(GatewayVMConfiguration.resource.namespaced)
    }

    /// Test vectors of the spec (§1.8).
    @Test func publicIPNamesUseFNV1a64() {
        #expect(EgressGateway.publicIPName(prefixName: "test-prefix", nicName: "aks-nodepool1-12345678-vmss000000")
            == "test-prefix-65d70f8df610e8df")
        #expect(EgressGateway.publicIPName(prefixName: "p", nicName: "aks-nodepool1-12345678-vmss000001")
            == "p-65d70e8df610e72c")
        #expect(EgressGateway.publicIPName(prefixName: "p", nicName: "") == "p-cbf29ce484222325")
    }

    @Test func vmPoolIDsAreUUIDv3() {
        #expect(EgressGateway.vmPoolID(nodepoolName: "testgw") == "13ffb2ec-b84e-3e00-8265-06efd5a2f4f2")
        // Case-sensitive, as in Go; expected values from Python's uuid.uuid3.
        #expect(EgressGateway.vmPoolID(nodepoolName: "TestGW") == "5299381d-069d-3e8f-96e1-89506404d17e")
        #expect(EgressGateway.vmPoolID(nodepoolName: "") == "5c20a7e9-55a0-3bc0-8be8-7af347c7e03a")
    }
}

@Suite struct ReadyConditionTests {
    @Test func readyFollowsTheProvisioningStages() throws {
        var status = StaticGatewayConfigurationStatus()
        let t0 = Timestamp(secondsSince1970: 100)
        let t1 = Timestamp(secondsSince1970: 200)
        var changed = status.setReady(.waitingForLoadBalancer, message: "creating the load balancer", generation: 1, now: t0)
        #expect(changed && status.observedGeneration == 1)
        #expect(status.readyCondition?.status == .false && status.readyCondition?.lastTransitionTime == t0)

        changed = status.setReady(.waitingForGatewayIPs, message: "waiting for egress IPs", generation: 1, now: t1)
        #expect(changed && status.readyCondition?.lastTransitionTime == t0)

        changed = status.setReady(.waitingForGatewayIPs, message: "waiting for egress IPs", generation: 1, now: t1)
        #expect(!changed)

        changed = status.setReady(.waitingForGatewayIPs, message: "waiting for egress IPs", generation: 2, now: t1)
        #expect(changed && status.observedGeneration == 2 && status.readyCondition?.observedGeneration == 2)

        changed = status.setReady(.provisioned, message: "egress via 1.2.3.4/31", generation: 2, now: t1)
        #expect(changed && status.readyCondition?.status == .true && status.readyCondition?.lastTransitionTime == t1)
        #expect(try encoded(status)["conditions"] == json(#"""
            [{"type": "Ready", "status": "True", "reason": "Provisioned", "message": "egress via 1.2.3.4/31",
              "lastTransitionTime": "1970-01-01T00:03:20Z", "observedGeneration": 2}]
            """#))
    }

    @Test func reasonsAreTheDocumentedConstants() {
        #expect(ReadyReason.allCases.map(\.rawValue) == [
            "InvalidSpec", "WaitingForLoadBalancer", "WaitingForGatewayIPs", "Provisioned", "DeletionBlocked",
        ])
        #expect(ReadyReason.allCases.filter { $0.conditionStatus == .true } == [.provisioned])
    }
}
