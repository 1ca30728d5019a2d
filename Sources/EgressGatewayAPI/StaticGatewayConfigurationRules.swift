import Kube

/// The CEL rules (`x-kubernetes-validations`) on the SGC `spec`: the Go operator's in-code checks of §2.3, moved
/// into the API server so that `kubectl apply` rejects an invalid SGC with the same messages.
///
/// `self` is the spec. Every member access is guarded by `has()` because the rules run on objects as written,
/// where optional members may be absent; `provisionPublicIps` is defaulted before validation but is guarded too.
public enum StaticGatewayConfigurationRules {
    static let nodepoolSet = "has(self.gatewayNodepoolName) && self.gatewayNodepoolName != ''"
    static let profileSet =
        "has(self.gatewayVmssProfile) && ("
        + "(has(self.gatewayVmssProfile.vmssResourceGroup) && self.gatewayVmssProfile.vmssResourceGroup != '')"
        + " || (has(self.gatewayVmssProfile.vmssName) && self.gatewayVmssProfile.vmssName != '')"
        + " || (has(self.gatewayVmssProfile.publicIpPrefixSize) && self.gatewayVmssProfile.publicIpPrefixSize != 0))"

    /// A node pool name or a VMSS profile is given.
    public static let poolRequired = ValidationRule(
        rule: "(\(nodepoolSet)) || (\(profileSet))", message: ValidationMessage.poolMissing,
        fieldPath: ".gatewayNodepoolName")

    /// Not both.
    public static let poolExclusive = ValidationRule(
        rule: "!((\(nodepoolSet)) && (\(profileSet)))", message: ValidationMessage.poolAmbiguous,
        fieldPath: ".gatewayNodepoolName")

    /// A VMSS profile names its resource group.
    public static let vmssResourceGroupRequired = ValidationRule(
        rule: "!(\(profileSet)) || (has(self.gatewayVmssProfile.vmssResourceGroup)"
            + " && self.gatewayVmssProfile.vmssResourceGroup != '')",
        message: ValidationMessage.vmssResourceGroupEmpty, fieldPath: ".gatewayVmssProfile.vmssResourceGroup")

    /// A VMSS profile names its VMSS.
    public static let vmssNameRequired = ValidationRule(
        rule: "!(\(profileSet)) || (has(self.gatewayVmssProfile.vmssName) && self.gatewayVmssProfile.vmssName != '')",
        message: ValidationMessage.vmssNameEmpty, fieldPath: ".gatewayVmssProfile.vmssName")

    /// A bring-your-own prefix only makes sense with public IPs.
    public static let prefixIDNeedsPublicIPs = ValidationRule(
        rule: "!has(self.publicIpPrefixId) || self.publicIpPrefixId == '' || !has(self.provisionPublicIps)"
            + " || self.provisionPublicIps",
        message: ValidationMessage.prefixIDWithoutPublicIPs, fieldPath: ".publicIpPrefixId")

    public static let all = [
        poolRequired, poolExclusive, vmssResourceGroupRequired, vmssNameRequired, prefixIDNeedsPublicIPs,
    ]
}
