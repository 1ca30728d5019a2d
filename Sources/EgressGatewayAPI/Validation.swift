#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Kube

/// The messages of the Go operator's validation (spec §2.3), shared by the in-code checks and the CRD's CEL rules
/// so that `kubectl apply` and the operator's `InvalidSpec` event say the same thing.
public enum ValidationMessage {
    public static let poolMissing = "Either GatewayNodepoolName or GatewayVmssProfile must be provided"
    public static let poolAmbiguous = "Only one of GatewayNodepoolName and GatewayVmssProfile should be provided"
    public static let vmssResourceGroupEmpty = "Gateway vmss resource group is empty"
    public static let vmssNameEmpty = "Gateway vmss name is empty"
    public static let prefixSizeOutOfRange =
        "Gateway vmss public ip prefix size should be between 0 and 31 inclusively"
    public static let prefixIDWithoutPublicIPs = "PublicIpPrefixId should be empty when ProvisionPublicIps is false"
    public static let prefixIDMalformed =
        "must be the ARM ID of a public IP prefix: "
        + "/subscriptions/SUB/resourceGroups/RG/providers/Microsoft.Network/publicIPPrefixes/NAME"
    public static let cidrMalformed = "must be a CIDR such as 10.0.0.0/8 or fd00::/8"
}

extension GatewayTargetSpec {
    /// Errors of the shared gateway target, under `path` (normally `spec`). The checks of the Go operator, plus a
    /// parse of `publicIpPrefixId`, which Go only discovers later in the VM controller.
    public func targetErrors(path: String = "spec") -> [FieldError] {
        var errors: [FieldError] = []
        let profile = gatewayVmssProfile
        if gatewayNodepoolName.isEmpty && profile.isEmpty {
            errors.append(.invalid("\(path).gatewayNodepoolName", "", ValidationMessage.poolMissing))
        } else if !gatewayNodepoolName.isEmpty && !profile.isEmpty {
            errors.append(.invalid(
                "\(path).gatewayNodepoolName", .string(gatewayNodepoolName), ValidationMessage.poolAmbiguous))
        }
        if !profile.isEmpty {
            let profilePath = "\(path).gatewayVmssProfile"
            if profile.vmssResourceGroup.isEmpty {
                errors.append(.invalid("\(profilePath).vmssResourceGroup", "", ValidationMessage.vmssResourceGroupEmpty))
            }
            if profile.vmssName.isEmpty {
                errors.append(.invalid("\(profilePath).vmssName", "", ValidationMessage.vmssNameEmpty))
            }
            if !(0...31).contains(profile.publicIpPrefixSize) {
                errors.append(.invalid("\(profilePath).publicIpPrefixSize",
                                       .integer(Int64(profile.publicIpPrefixSize)),
                                       ValidationMessage.prefixSizeOutOfRange))
            }
        }
        if !publicIpPrefixId.isEmpty {
            let field = "\(path).publicIpPrefixId"
            if !provisionPublicIps {
                errors.append(.invalid(field, .string(publicIpPrefixId), ValidationMessage.prefixIDWithoutPublicIPs))
            }
            if (try? ARMResourceID.publicIPPrefix(publicIpPrefixId)) == nil {
                errors.append(.invalid(field, .string(publicIpPrefixId), ValidationMessage.prefixIDMalformed))
            }
        }
        return errors
    }
}

extension StaticGatewayConfigurationSpec {
    /// Every field error of the spec, under `path`: the gateway target, `defaultRoute` and each `excludeCidrs` item.
    public func validationErrors(path: String = "spec") -> [FieldError] {
        var errors = targetErrors(path: path)
        if !DefaultRoute.allowed.contains(defaultRoute) {
            errors.append(.notSupported("\(path).defaultRoute", .string(defaultRoute.rawValue),
                                        supported: DefaultRoute.allowed.map(\.rawValue)))
        }
        for (index, cidr) in excludeCidrs.enumerated() where !CIDR.isValid(cidr) {
            errors.append(.invalid("\(path).excludeCidrs[\(index)]", .string(cidr), ValidationMessage.cidrMalformed))
        }
        return errors
    }
}

extension StaticGatewayConfiguration {
    /// Checks the spec and reports all field errors at once, as an `Invalid` error naming the object.
    public func validate() throws(InvalidObjectError) {
        let errors = spec.validationErrors()
        guard errors.isEmpty else { throw InvalidObjectError(Self.resource, name: metadata.name, errors: errors) }
    }
}

extension GatewayLBConfiguration {
    /// Checks the copied gateway target, reporting all field errors at once.
    public func validate() throws(InvalidObjectError) {
        let errors = spec.targetErrors()
        guard errors.isEmpty else { throw InvalidObjectError(Self.resource, name: metadata.name, errors: errors) }
    }
}

extension GatewayVMConfiguration {
    /// Checks the copied gateway target, reporting all field errors at once.
    public func validate() throws(InvalidObjectError) {
        let errors = spec.targetErrors()
        guard errors.isEmpty else { throw InvalidObjectError(Self.resource, name: metadata.name, errors: errors) }
    }
}

/// CIDR syntax as Go's `net.ParseCIDR` accepts it (the CNI plugin parses `excludeCidrs` with it): an IPv4 or IPv6
/// address, `/`, and a prefix length within the family's bits; host bits may be set.
enum CIDR {
    static func isValid(_ text: String) -> Bool {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let length = Int(parts[1]), parts[1].allSatisfy(\.isASCII),
            parts[1].allSatisfy(\.isNumber)
        else { return false }
        let address = String(parts[0])
        if address.contains(":") {
            var buffer = in6_addr()
            return inet_pton(AF_INET6, address, &buffer) == 1 && (0...128).contains(length)
        }
        var buffer = in_addr()
        return inet_pton(AF_INET, address, &buffer) == 1 && (0...32).contains(length)
    }
}
