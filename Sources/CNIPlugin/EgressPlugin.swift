import Firewall
import Logging
import Netlink
import WireGuard

/// The chained CNI plugin `egressgw-cni` (upstream-cni §1): for a pod annotated with a
/// StaticGatewayConfiguration it adds `wg0`, a WireGuard tunnel to the gateway, routes the pod's
/// traffic into it and keeps inbound connections symmetric; every other pod passes through with
/// its previous result unchanged.
///
/// Kubernetes is reached only through ``EgressManagerClient`` (the node's cni-manager); the
/// kernel work is done here, through `Netlink`, `WireGuard` and `Firewall`.
public struct EgressPlugin: CNIHandler {
    /// The annotation that opts a pod in; its value names an SGC in the pod's namespace.
    public static let gatewayAnnotation = "kubernetes.azure.com/static-gateway-configuration"
    /// The tunnel interface inside the pod (fixed, whatever `CNI_IFNAME` says).
    public static let tunnelInterface = "wg0"
    /// The pod's primary interface (fixed, as upstream).
    public static let podInterface = EgressIPAM.podInterface

    /// Where and how the plugin works.
    public struct Options: Sendable {
        /// The runtime's namespace, where the temporary link is made and the tunnel's UDP socket
        /// lives: the process's own, except in tests that play a node in a namespace.
        public var hostNamespace: NetworkNamespace
        public var wireGuard: WireGuardOptions
        public var iptables: IPTables.Executables
        /// IPAM types served in this process instead of by executing a plugin from `CNI_PATH`.
        public var inProcessIPAMTypes: Set<String>

        public init(hostNamespace: NetworkNamespace = .process, wireGuard: WireGuardOptions = WireGuardOptions(),
                    iptables: IPTables.Executables = .standard,
                    inProcessIPAMTypes: Set<String> = ["egressgw-cni-ipam", "kube-egress-cni-ipam"]) {
            self.hostNamespace = hostNamespace
            self.wireGuard = wireGuard
            self.iptables = iptables
            self.inProcessIPAMTypes = inProcessIPAMTypes
        }
    }

    let manager: @Sendable (NetworkConfig) -> any EgressManagerClient
    let options: Options
    let logger: Logger

    /// - Parameter manager: the cni-manager client for a config (the config names its socket).
    public init(options: Options = Options(), logger: Logger,
                manager: @escaping @Sendable (NetworkConfig) -> any EgressManagerClient) {
        self.options = options
        self.logger = logger
        self.manager = manager
    }

    // MARK: Shared steps

    /// The pod's gateway name, or nil when the pod does not use a gateway. The annotations come
    /// from the runtime when it passed them, else from the cni-manager. A container that is not a
    /// Kubernetes pod (no pod name in `CNI_ARGS`) cannot be annotated.
    func gatewayName(of pod: PodReference?, _ config: NetworkConfig) async throws(CNIError) -> String? {
        if let annotations = config.podAnnotations { return annotations[Self.gatewayAnnotation] }
        guard let pod else { return nil }
        do throws(EgressManagerError) {
            return try await manager(config).podAnnotations(of: pod)[Self.gatewayAnnotation]
        } catch {
            throw CNIError(code: error.code, message: "failed to get the annotations of pod \(pod): \(error)")
        }
    }

    /// `wg` and the first 8 characters of the container ID: the tunnel's name in the host
    /// namespace until it moves into the pod, and its alias there.
    static func temporaryName(containerID: String) throws(CNIError) -> String {
        let prefix = containerID.prefix(8)
        guard prefix.count == 8,
              prefix.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" || $0 == "_") })
        else {
            throw CNIError(code: .invalidEnvironment,
                           message: "CNI_CONTAINERID \"\(containerID)\" must start with 8 letters, digits, '-' or '_': the tunnel's temporary name is wg plus those 8")
        }
        return "wg" + prefix
    }

    func delegate(for config: NetworkConfig) -> IPAMDelegate {
        IPAMDelegate(type: config.ipamType, inProcessTypes: options.inProcessIPAMTypes, namespace: options.hostNamespace)
    }
}
