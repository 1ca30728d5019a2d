import EgressGatewayAPI
import Kube
import Testing

@Suite struct ValidationTests {
    static let prefixID =
        "/subscriptions/0000-sub/resourceGroups/egress-rg/providers/Microsoft.Network/publicIPPrefixes/prefix1"

    func sgc(_ spec: StaticGatewayConfigurationSpec) -> StaticGatewayConfiguration {
        StaticGatewayConfiguration(metadata: ObjectMeta(name: "gw", namespace: "ns"), spec: spec)
    }

    func descriptions(_ spec: StaticGatewayConfigurationSpec) -> [String] {
        spec.validationErrors().map(\.description)
    }

    static let profile = GatewayVmssProfile(vmssResourceGroup: "rg", vmssName: "vmss", publicIpPrefixSize: 31)

    @Test func nodepoolOnlyIsValid() throws {
        try sgc(StaticGatewayConfigurationSpec(gatewayNodepoolName: "gwpool")).validate()
    }

    @Test func profileOnlyIsValid() throws {
        try sgc(StaticGatewayConfigurationSpec(gatewayVmssProfile: Self.profile)).validate()
        // Size 0 with a resource group and a name passes, as in the Go operator (§8.2 #14).
        try sgc(StaticGatewayConfigurationSpec(gatewayVmssProfile: GatewayVmssProfile(
            vmssResourceGroup: "rg", vmssName: "vmss", publicIpPrefixSize: 0))).validate()
    }

    @Test func neitherNodepoolNorProfile() {
        #expect(descriptions(StaticGatewayConfigurationSpec()) == [
            "spec.gatewayNodepoolName: Invalid value: \"\": Either GatewayNodepoolName or GatewayVmssProfile must be provided",
        ])
    }

    @Test func bothNodepoolAndProfile() {
        #expect(descriptions(StaticGatewayConfigurationSpec(gatewayNodepoolName: "gwpool", gatewayVmssProfile: Self.profile)) == [
            "spec.gatewayNodepoolName: Invalid value: \"gwpool\": Only one of GatewayNodepoolName and GatewayVmssProfile should be provided",
        ])
    }

    @Test func incompleteProfile() {
        let onlySize = GatewayVmssProfile(vmssResourceGroup: "", vmssName: "", publicIpPrefixSize: 30)
        #expect(descriptions(StaticGatewayConfigurationSpec(gatewayVmssProfile: onlySize)) == [
            "spec.gatewayVmssProfile.vmssResourceGroup: Invalid value: \"\": Gateway vmss resource group is empty",
            "spec.gatewayVmssProfile.vmssName: Invalid value: \"\": Gateway vmss name is empty",
        ])
    }

    @Test(arguments: [Int32(-1), 32])
    func prefixSizeOutOfRange(_ size: Int32) {
        let profile = GatewayVmssProfile(vmssResourceGroup: "rg", vmssName: "vmss", publicIpPrefixSize: size)
        #expect(descriptions(StaticGatewayConfigurationSpec(gatewayVmssProfile: profile)) == [
            "spec.gatewayVmssProfile.publicIpPrefixSize: Invalid value: \(size): Gateway vmss public ip prefix size should be between 0 and 31 inclusively",
        ])
    }

    @Test func prefixIDNeedsPublicIPs() throws {
        #expect(descriptions(StaticGatewayConfigurationSpec(
            gatewayNodepoolName: "gwpool", provisionPublicIps: false, publicIpPrefixId: Self.prefixID)) == [
            "spec.publicIpPrefixId: Invalid value: \"\(Self.prefixID)\": PublicIpPrefixId should be empty when ProvisionPublicIps is false",
        ])
        try sgc(StaticGatewayConfigurationSpec(gatewayNodepoolName: "gwpool", publicIpPrefixId: Self.prefixID)).validate()
    }

    @Test(arguments: [
        "prefix1",
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/publicIPAddresses/pip1",
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/publicIPPrefixes/",
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/publicIPPrefixes",
        "/subscriptions/s/resourceGroups//providers/Microsoft.Network/publicIPPrefixes/p",
        "subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/publicIPPrefixes/p",
    ])
    func prefixIDMustBeAPublicIPPrefixARMID(_ id: String) {
        #expect(descriptions(StaticGatewayConfigurationSpec(gatewayNodepoolName: "gwpool", publicIpPrefixId: id)) == [
            "spec.publicIpPrefixId: Invalid value: \"\(id)\": must be the ARM ID of a public IP prefix: "
                + "/subscriptions/SUB/resourceGroups/RG/providers/Microsoft.Network/publicIPPrefixes/NAME",
        ])
    }

    @Test func prefixIDIsCaseInsensitiveLikeARM() throws {
        try sgc(StaticGatewayConfigurationSpec(gatewayNodepoolName: "gwpool", publicIpPrefixId:
            "/SUBSCRIPTIONS/s/RESOURCEGROUPS/rg/PROVIDERS/microsoft.network/PUBLICIPPREFIXES/p")).validate()
    }

    @Test func excludeCidrsMustBeCIDRs() throws {
        try sgc(StaticGatewayConfigurationSpec(gatewayNodepoolName: "gwpool", excludeCidrs: [
            "10.0.0.0/8", "10.1.2.3/16", "0.0.0.0/0", "fd00::/8", "::/0", "10.0.0.1/32",
        ])).validate()
        #expect(descriptions(StaticGatewayConfigurationSpec(gatewayNodepoolName: "gwpool", excludeCidrs: [
            "10.0.0.0/8", "10.0.0.0", "10.0.0.0/33", "fd00::/129", "10.0.0.256/8", "010.0.0.0/8", "10.0.0.0/-1",
            "10.0.0.0/ 8", "",
        ])) == [
            "10.0.0.0", "10.0.0.0/33", "fd00::/129", "10.0.0.256/8", "010.0.0.0/8", "10.0.0.0/-1", "10.0.0.0/ 8", "",
        ].enumerated().map { index, value in
            "spec.excludeCidrs[\(index + 1)]: Invalid value: \"\(value)\": must be a CIDR such as 10.0.0.0/8 or fd00::/8"
        })
    }

    @Test func unknownDefaultRoute() {
        #expect(descriptions(StaticGatewayConfigurationSpec(gatewayNodepoolName: "gw", defaultRoute: DefaultRoute(rawValue: "vpn"))) == [
            "spec.defaultRoute: Unsupported value: \"vpn\": supported values: \"azureNetworking\", \"staticEgressGateway\"",
        ])
    }

    /// One object, every mistake: all errors come back at once, each with its path and value.
    @Test func reportsEveryErrorAtOnce() {
        let spec = StaticGatewayConfigurationSpec(
            gatewayNodepoolName: "gwpool",
            gatewayVmssProfile: GatewayVmssProfile(vmssResourceGroup: "", vmssName: "vmss", publicIpPrefixSize: 32),
            defaultRoute: DefaultRoute(rawValue: "sideways"), provisionPublicIps: false, publicIpPrefixId: "pfx",
            excludeCidrs: ["10.0.0.0/8", "nope"])
        let error = #expect(throws: InvalidObjectError.self) { try sgc(spec).validate() }
        let fields = error?.errors.map(\.field)
        #expect(fields == [
            "spec.gatewayNodepoolName", "spec.gatewayVmssProfile.vmssResourceGroup",
            "spec.gatewayVmssProfile.publicIpPrefixSize", "spec.publicIpPrefixId", "spec.publicIpPrefixId",
            "spec.defaultRoute", "spec.excludeCidrs[1]",
        ])
        let text = error?.description ?? ""
        #expect(text.hasPrefix("StaticGatewayConfiguration.egressgateway.kubernetes.azure.com \"gw\" is invalid: [spec.gatewayNodepoolName: Invalid value: \"gwpool\": Only one of"))
        #expect(text.contains("spec.gatewayVmssProfile.publicIpPrefixSize: Invalid value: 32: "))
        #expect(text.contains("spec.excludeCidrs[1]: Invalid value: \"nope\": must be a CIDR"))
        let status = error?.status
        #expect(status?.code == 422)
        #expect(status?.details?.kind == "StaticGatewayConfiguration")
        #expect(status?.details?.group == EgressGateway.group)
        #expect(status?.details?.causes.count == 7)
    }

    @Test func internalConfigurationsCheckTheCopiedTarget() throws {
        let lb = GatewayLBConfiguration(metadata: ObjectMeta(name: "gw"), spec: GatewayLBConfigurationSpec())
        let lbError = #expect(throws: InvalidObjectError.self) { try lb.validate() }
        #expect(lbError?.kind == "GatewayLBConfiguration" && lbError?.errors.count == 1)
        var vmSpec = GatewayVMConfigurationSpec()
        vmSpec.gatewayNodepoolName = "gwpool"
        try GatewayVMConfiguration(metadata: ObjectMeta(name: "gw"), spec: vmSpec).validate()
    }
}

@Suite struct ARMResourceIDTests {
    @Test func parsesTopLevelAndChildResources() throws {
        let prefix = try ARMResourceID.publicIPPrefix(ValidationTests.prefixID)
        #expect(prefix.subscriptionID == "0000-sub")
        #expect(prefix.resourceGroup == "egress-rg")
        #expect(prefix.providerNamespace == "Microsoft.Network")
        #expect(prefix.resourceType == "Microsoft.Network/publicIPPrefixes")
        #expect(prefix.name == "prefix1")
        #expect(prefix.description == ValidationTests.prefixID)

        let instance = try ARMResourceID(parsing:
            "/subscriptions/s/resourceGroups/MC_rg/providers/Microsoft.Compute/virtualMachineScaleSets/gw/virtualMachines/3")
        #expect(instance.resourceType == "Microsoft.Compute/virtualMachineScaleSets/virtualMachines")
        #expect(instance.types.map(\.name) == ["gw", "3"])
        #expect(instance.isType("microsoft.compute/VIRTUALMACHINESCALESETS/virtualmachines"))
    }

    @Test func comparesLikeARMIgnoringCase() throws {
        let a = try ARMResourceID(parsing: "/subscriptions/S/resourceGroups/RG/providers/Microsoft.Network/publicIPPrefixes/P")
        let b = try ARMResourceID(parsing: "/SUBSCRIPTIONS/s/resourcegroups/rg/providers/microsoft.network/publicipprefixes/p")
        #expect(a == b)
        #expect(Set([a, b]).count == 1)
        #expect(b.resourceGroup == "rg")
    }

    @Test func errorsSayWhatIsWrong() {
        let wrongType = #expect(throws: ARMResourceIDError.self) {
            try ARMResourceID.publicIPPrefix("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/publicIPAddresses/p")
        }
        #expect(wrongType?.description
            == "invalid ARM resource ID \"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/publicIPAddresses/p\": not a Microsoft.Network/publicIPPrefixes resource")
        let keyword = #expect(throws: ARMResourceIDError.self) {
            try ARMResourceID(parsing: "/subscriptions/s/resourceGroup/rg/providers/Microsoft.Network/publicIPPrefixes/p")
        }
        #expect(keyword?.reason == "segment 4 must be \"resourceGroups\"")
        let dangling = #expect(throws: ARMResourceIDError.self) {
            try ARMResourceID(parsing: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/gw/virtualMachines")
        }
        #expect(dangling?.reason == "resource type without a name")
    }
}
