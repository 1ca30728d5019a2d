import EgressGatewayAPI
import Kube
import Operator
import Testing
import WireGuard

/// The SGC controller against the KubeEmulator over HTTP (spec §2 and §8.1 items 1–7).
@Suite("StaticGatewayConfiguration controller")
struct StaticGatewayConfigurationControllerTests {
    static let nodepool = StaticGatewayConfigurationSpec(gatewayNodepoolName: "testgw")

    @Test("create: key Secret with both labels and two keys, LB configuration owned by the SGC, status waits")
    func createsSecretAndLBConfiguration() async throws {
        try await OperatorHarness.run { harness in
            let created = try await harness.sgcs().create(sgc("gw1", spec: Self.nodepool))
            let secretName = "sgw-\(created.metadata.uid)"
            let secret = try await harness.eventually(harness.secrets, secretName) { _ in true }
            #expect(secret.metadata.labels == [
                "egressgateway.kubernetes.azure.com/owning-gateway-config-namespace": "default",
                "egressgateway.kubernetes.azure.com/owning-gateway-config-name": "gw1",
            ])
            #expect(secret.data.count == 2)
            #expect(secret.type == "Opaque")
            let privateKey = try PrivateKey(base64: try #require(secret.string(forKey: "PrivateKey")))

            let lb = try await harness.eventually(harness.lbConfigurations(), "gw1") { _ in true }
            #expect(lb.spec.gatewayNodepoolName == "testgw")
            #expect(lb.spec.provisionPublicIps)
            let owner = try #require(lb.metadata.controllerReference)
            #expect(owner.kind == "StaticGatewayConfiguration" && owner.name == "gw1" && owner.uid == created.metadata.uid)
            #expect(owner.apiVersion == "egressgateway.kubernetes.azure.com/v1alpha1" && owner.blockOwnerDeletion == true)

            let sgc = try await harness.eventually(harness.sgcs(), "gw1") { !$0.status.gatewayServerProfile.publicKey.isEmpty }
            #expect(sgc.metadata.finalizers == ["static-gateway-configuration-controller.microsoft.com"])
            #expect(sgc.status.gatewayServerProfile.publicKey == privateKey.publicKey.base64)
            #expect(sgc.status.gatewayServerProfile.privateKeySecretRef
                == ObjectReference(apiVersion: "v1", kind: "Secret", name: secretName,
                                   namespace: OperatorHarness.secretNamespace))
            #expect(sgc.status.gatewayServerProfile.ip.isEmpty && sgc.status.gatewayServerProfile.port == 0)
            let ready = try #require(sgc.status.readyCondition)
            #expect(ready.status == .false && ready.reason == "WaitingForLoadBalancer")
        }
    }

    @Test("LB configuration status is copied to the SGC, which turns Ready")
    func propagatesLBStatus() async throws {
        try await OperatorHarness.run { harness in
            _ = try await harness.sgcs().create(sgc("gw1", spec: Self.nodepool))
            var lb = try await harness.eventually(harness.lbConfigurations(), "gw1") { _ in true }
            lb.status = GatewayLBConfigurationStatus(frontendIp: "1.1.1.1", serverPort: 6000, egressIpPrefix: "1.2.3.4/31")
            _ = try await harness.lbConfigurations().updateStatus(lb)
            let sgc = try await harness.eventually(harness.sgcs(), "gw1") { $0.status.readyCondition?.status == .true }
            #expect(sgc.status.gatewayServerProfile.ip == "1.1.1.1")
            #expect(sgc.status.gatewayServerProfile.port == 6000)
            #expect(sgc.status.egressIpPrefix == "1.2.3.4/31")
            #expect(sgc.status.readyCondition?.reason == "Provisioned")
            #expect(sgc.status.isProvisioned)
            _ = try await eventuallyEvent(harness, about: "gw1", reason: "Reconciled",
                                          message: "StaticGatewayConfiguration provisioned with egress prefix 1.2.3.4/31")
        }
    }

    @Test("a deleted key Secret is recreated with a new key, and the status follows")
    func recreatesDeletedSecret() async throws {
        try await OperatorHarness.run { harness in
            let created = try await harness.sgcs().create(sgc("gw1", spec: Self.nodepool))
            let first = try await harness.eventually(harness.sgcs(), "gw1") {
                !$0.status.gatewayServerProfile.publicKey.isEmpty
            }.status.gatewayServerProfile.publicKey
            _ = try await harness.secrets.delete("sgw-\(created.metadata.uid)")
            let second = try await harness.eventually(harness.sgcs(), "gw1") {
                !$0.status.gatewayServerProfile.publicKey.isEmpty && $0.status.gatewayServerProfile.publicKey != first
            }.status.gatewayServerProfile.publicKey
            let secret = try await harness.secrets.get("sgw-\(created.metadata.uid)")
            #expect(secret.string(forKey: "PublicKey") == second)
        }
    }

    @Test("switching the SGC from a VMSS profile to a node pool rewrites the LB configuration spec")
    func specSwitchFollows() async throws {
        try await OperatorHarness.run { harness in
            let profile = GatewayVmssProfile(vmssResourceGroup: "rg", vmssName: "vmss", publicIpPrefixSize: 31)
            _ = try await harness.sgcs().create(sgc("gw1", spec: StaticGatewayConfigurationSpec(
                gatewayVmssProfile: profile,
                publicIpPrefixId: "/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Network/publicIPPrefixes/p")))
            _ = try await harness.eventually(harness.lbConfigurations(), "gw1") { $0.spec.gatewayVmssProfile == profile }
            try await harness.update(harness.sgcs(), "gw1") {
                $0.spec = StaticGatewayConfigurationSpec(gatewayNodepoolName: "testgw1", provisionPublicIps: false)
            }
            let lb = try await harness.eventually(harness.lbConfigurations(), "gw1") { $0.spec.gatewayNodepoolName == "testgw1" }
            #expect(lb.spec.gatewayVmssProfile.isEmpty)
            #expect(!lb.spec.provisionPublicIps)
            #expect(lb.spec.publicIpPrefixId.isEmpty)
        }
    }

    @Test("deletion removes the Secret and the LB configuration, then releases the SGC")
    func deletion() async throws {
        try await OperatorHarness.run { harness in
            let created = try await harness.sgcs().create(sgc("gw1", spec: Self.nodepool))
            _ = try await harness.eventually(harness.sgcs(), "gw1") { !$0.metadata.finalizers.isEmpty }
            _ = try await harness.eventually(harness.lbConfigurations(), "gw1") { _ in true }
            _ = try await harness.sgcs().delete("gw1", options: DeleteOptions(propagationPolicy: .foreground))
            try await harness.eventuallyGone(harness.sgcs(), "gw1")
            try await harness.eventuallyGone(harness.secrets, "sgw-\(created.metadata.uid)")
            try await harness.eventuallyGone(harness.lbConfigurations(), "gw1")
            _ = try await eventuallyEvent(harness, about: "gw1", reason: "Deleted")
            let reasons = try await harness.events(about: "gw1").map(\.reason)
            #expect(reasons.count >= 3, "events: \(reasons)")
        }
    }

    /// Go adds no finalizer and retries an invalid spec with backoff forever; here it is a condition and an
    /// event, and the next edit (an event) brings the SGC back.
    @Test("an invalid spec gives InvalidSpec: event, Ready=False, no finalizer, no children; fixing it provisions")
    func invalidSpec() async throws {
        try await OperatorHarness.run { harness in
            _ = try await harness.sgcs().create(sgc("bad", spec: StaticGatewayConfigurationSpec()))
            let sgc = try await harness.eventually(harness.sgcs(), "bad") { $0.status.readyCondition != nil }
            #expect(sgc.status.readyCondition?.reason == "InvalidSpec")
            #expect(sgc.status.readyCondition?.message.contains(ValidationMessage.poolMissing) == true)
            #expect(sgc.metadata.finalizers.isEmpty)
            let warning = try await eventuallyEvent(harness, about: "bad", reason: "InvalidSpec")
            #expect(warning.type == "Warning")
            await #expect(throws: KubeError.self) { try await harness.lbConfigurations().get("bad") }

            try await harness.update(harness.sgcs(), "bad") { $0.spec.gatewayNodepoolName = "testgw" }
            _ = try await harness.eventually(harness.lbConfigurations(), "bad") { _ in true }
        }
    }

    /// One row of the validation matrix of spec §2.3 (§8.1 item 7).
    struct ValidationExample: Sendable, CustomTestStringConvertible {
        var name: String
        var spec: StaticGatewayConfigurationSpec
        /// The field error, naming the field and the value; nil for a valid spec.
        var error: String?
        /// The CRD schema already bounds this field, so the API server refuses the SGC with its own wording (which
        /// names the field and the value too); the operator's check, for servers without that schema, is `error`.
        var refusedByAPIServer: String?

        var testDescription: String { name }

        static let profile = GatewayVmssProfile(vmssResourceGroup: "rg", vmssName: "vmss", publicIpPrefixSize: 31)
        static let prefixID = "/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Network/publicIPPrefixes/p"

        static func sized(_ size: Int32) -> ValidationExample {
            ValidationExample(
                name: "prefix size \(size)",
                spec: .init(gatewayVmssProfile: .init(vmssResourceGroup: "rg", vmssName: "vmss", publicIpPrefixSize: size)),
                error: "spec.gatewayVmssProfile.publicIpPrefixSize: Invalid value: \(size): "
                    + "Gateway vmss public ip prefix size should be between 0 and 31 inclusively",
                refusedByAPIServer: "spec.gatewayVmssProfile.publicIpPrefixSize: Invalid value: \(size): ")
        }

        static let all = [
            ValidationExample(name: "node pool only", spec: .init(gatewayNodepoolName: "gwpool")),
            ValidationExample(name: "VMSS profile only", spec: .init(gatewayVmssProfile: profile)),
            ValidationExample(
                name: "both", spec: .init(gatewayNodepoolName: "gwpool", gatewayVmssProfile: profile),
                error: "spec.gatewayNodepoolName: Invalid value: \"gwpool\": "
                    + "Only one of GatewayNodepoolName and GatewayVmssProfile should be provided"),
            ValidationExample(
                name: "neither", spec: .init(),
                error: "spec.gatewayNodepoolName: Invalid value: \"\": "
                    + "Either GatewayNodepoolName or GatewayVmssProfile must be provided"),
            ValidationExample(
                name: "empty resource group",
                spec: .init(gatewayVmssProfile: .init(vmssResourceGroup: "", vmssName: "vmss", publicIpPrefixSize: 31)),
                error: "spec.gatewayVmssProfile.vmssResourceGroup: Invalid value: \"\": Gateway vmss resource group is empty"),
            ValidationExample(
                name: "empty VMSS name",
                spec: .init(gatewayVmssProfile: .init(vmssResourceGroup: "rg", vmssName: "", publicIpPrefixSize: 31)),
                error: "spec.gatewayVmssProfile.vmssName: Invalid value: \"\": Gateway vmss name is empty"),
            sized(-1),
            sized(32),
            ValidationExample(
                name: "prefix ID without public IPs",
                spec: .init(gatewayNodepoolName: "gwpool", provisionPublicIps: false, publicIpPrefixId: prefixID),
                error: "spec.publicIpPrefixId: Invalid value: \"\(prefixID)\": "
                    + "PublicIpPrefixId should be empty when ProvisionPublicIps is false"),
        ]
    }

    @Test("the validation matrix: valid specs are provisioned, invalid ones refused with the field and the value",
          arguments: ValidationExample.all)
    func validationMatrix(_ example: ValidationExample) async throws {
        let object = sgc("gw", spec: example.spec)
        // The operator's own check, whatever the API server lets through.
        #expect(object.spec.validationErrors().map(\.description) == (example.error.map { [$0] } ?? []))
        try await OperatorHarness.run { harness in
            if let refusal = example.refusedByAPIServer {
                do {
                    _ = try await harness.sgcs().create(object)
                    Issue.record("the API server accepted \(example.name)")
                } catch let error as KubeError {
                    guard case .invalid(let refused) = error else { throw error }
                    #expect(refused.description.contains(refusal), "\(refused)")
                }
                return
            }
            _ = try await harness.sgcs().create(object)
            guard let error = example.error else {
                _ = try await harness.eventually(harness.lbConfigurations(), "gw") { _ in true }
                let provisioned = try await harness.eventually(harness.sgcs(), "gw") { !$0.metadata.finalizers.isEmpty }
                #expect(provisioned.status.readyCondition?.reason != "InvalidSpec")
                return
            }
            let refused = try await harness.eventually(harness.sgcs(), "gw") { $0.status.readyCondition != nil }
            let expected = "StaticGatewayConfiguration.egressgateway.kubernetes.azure.com \"gw\" is invalid: \(error)"
            #expect(refused.status.readyCondition?.reason == "InvalidSpec")
            #expect(refused.status.readyCondition?.message == expected)
            #expect(refused.metadata.finalizers.isEmpty)
            let warning = try await eventuallyEvent(harness, about: "gw", reason: "InvalidSpec")
            #expect(warning.type == "Warning" && warning.message == expected)
            await #expect(throws: KubeError.self) { try await harness.lbConfigurations().get("gw") }
        }
    }

    /// Go emits `Normal Reconciling` and counts a success even when the pass failed (spec §8.2 item 1).
    @Test("a failed pass gives only a Warning ReconcileError and counts as a failure")
    func failureIsReportedAsFailure() async throws {
        try await OperatorHarness.run { harness in
            let other = try await harness.client.resource(ConfigMap.self, namespace: "default")
                .create(ConfigMap(metadata: ObjectMeta(name: "other", namespace: "default")))
            var foreign = GatewayLBConfiguration(metadata: ObjectMeta(name: "gw1", namespace: "default"),
                                                 spec: GatewayLBConfigurationSpec())
            foreign.metadata.ownerReferences = [OwnerReference(
                apiVersion: "v1", kind: "ConfigMap", name: "other", uid: other.metadata.uid, controller: true)]
            _ = try await harness.lbConfigurations().create(foreign)
            _ = try await harness.sgcs().create(sgc("gw1", spec: Self.nodepool))
            let warning = try await eventuallyEvent(harness, about: "gw1", reason: "ReconcileError")
            #expect(warning.message.contains("already controlled by ConfigMap other"))
            let events = try await harness.events(about: "gw1")
            #expect(!events.contains { $0.reason == "Reconciling" || $0.reason == "Reconciled" })
            #expect(harness.metrics.exposition().contains("controller_reconcile_fail_count{"))
            #expect(harness.metrics.exposition().contains("operation=\"reconcile_static_gateway_configuration\""))
        }
    }
}

/// The first event about `name` with `reason` (and `message`, when given), once it exists.
func eventuallyEvent(_ harness: OperatorHarness, about name: String, reason: String,
                     message: String? = nil) async throws -> Event {
    while true {
        if let event = try await harness.events(about: name).first(where: {
            $0.reason == reason && (message == nil || $0.message == message)
        }) {
            return event
        }
        try await Task.sleep(for: .milliseconds(20))
    }
}
