import Kube

/// The fixed strings of the egress gateway API. Each must equal the Go version's byte for byte: the Go and Swift
/// components find each other's objects, Secrets and finalizers by them (see the operator spec §1.8).
public enum EgressGateway {
    /// API group of the five CRDs.
    public static let group = "egressgateway.kubernetes.azure.com"
    /// The only version, served and stored.
    public static let version = "v1alpha1"
    /// `group/version`, the `apiVersion` of every object of the group.
    public static let apiVersion = "\(group)/\(version)"
    /// `kubectl get egressgateway` lists all five kinds.
    public static let category = "egressgateway"

    /// Pod annotation naming the StaticGatewayConfiguration (in the pod's namespace) whose egress the pod uses.
    public static let podAnnotation = "kubernetes.azure.com/static-gateway-configuration"

    /// Finalizers the three operator controllers put on their objects.
    public enum Finalizer {
        public static let staticGatewayConfiguration = "static-gateway-configuration-controller.microsoft.com"
        public static let gatewayLBConfiguration = "gateway-lb-configuration-controller.microsoft.com"
        public static let gatewayVMConfiguration = "gateway-vm-configuration-controller.microsoft.com"
    }

    /// Labels of the WireGuard key Secret, the only link from the Secret back to its SGC (it lives in another
    /// namespace, so it cannot have an owner reference).
    public enum SecretLabel {
        public static let owningGatewayConfigNamespace = "\(group)/owning-gateway-config-namespace"
        public static let owningGatewayConfigName = "\(group)/owning-gateway-config-name"
    }

    /// Data keys of the WireGuard key Secret. Each value is the base64 text of the key, stored as UTF-8 bytes.
    public enum SecretKey {
        public static let privateKey = "PrivateKey"
        public static let publicKey = "PublicKey"
    }

    /// Name of the WireGuard key Secret of the SGC with `uid`, in the operator's secret namespace.
    public static func keySecretName(staticGatewayConfigurationUID uid: String) -> String { "sgw-\(uid)" }

    /// Prefix of every Azure resource the operator creates and owns; also how it recognises its ipconfigs.
    public static let managedResourcePrefix = "egressgateway-"

    /// Name of the secondary ipconfigs, the VMSS public IP configuration and the managed public IP prefix of the
    /// GatewayVMConfiguration with `uid`.
    public static func managedResourceName(gatewayVMConfigurationUID uid: String) -> String {
        managedResourcePrefix + uid
    }

    /// The internal load balancer's name when the cloud config does not give one.
    public static let defaultLoadBalancerName = "kubeegressgateway-ilb"

    /// WireGuard listening ports, one per SGC and gateway pool; the LB rule uses the same port front and back.
    public static let wireGuardPorts: Range<Int32> = 6000..<7000

    /// HTTP path of the LB health probe of the SGC with `uid`; the gateway daemon answers 200 while it serves it.
    public static func probePath(staticGatewayConfigurationUID uid: String) -> String { "/gw/\(uid)" }

    /// Name of the public IP the operator gives one NIC of a VM pool: the prefix name, `-`, and the FNV-1a 64-bit
    /// hash of the NIC name in lower-case hex without zero padding.
    public static func publicIPName(prefixName: String, nicName: String) -> String {
        prefixName + "-" + String(FNV1a.hash64(Array(nicName.utf8)), radix: 16)
    }

    /// UUID namespace of the gateway pool ID of VM (non-VMSS) agent pools.
    public static let vmPoolIDNamespace = "2c96e82c-842f-11f0-8ea5-6bee14278ecd"

    /// Pool ID of a VM agent pool (the LB frontend and backend names): the name-based UUID v3 of the node pool name,
    /// case-sensitive, in lower-case hyphenated form.
    public static func vmPoolID(nodepoolName: String) -> String {
        NameBasedUUID.version3(namespace: vmPoolIDNamespace, name: Array(nodepoolName.utf8))
    }
}

/// The 64-bit FNV-1a hash.
enum FNV1a {
    static func hash64(_ bytes: [UInt8]) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return hash
    }
}
