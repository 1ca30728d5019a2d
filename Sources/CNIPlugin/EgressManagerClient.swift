import Netlink
import WireGuard

/// What the plugin needs from the node's cni-manager (upstream-cni §3.3): the pod's annotations,
/// and registering or removing the pod as a peer of its gateway. The cni-manager's transport
/// implements it; tests use an in-process fake.
///
/// Implementations bound every call with a short timeout: a missing manager must fail an ADD
/// quickly and never hold up a DEL.
public protocol EgressManagerClient: Sendable {
    /// Every annotation of the pod (empty when it has none).
    func podAnnotations(of pod: PodReference) async throws(EgressManagerError) -> [String: String]
    /// Records the pod's WireGuard key and address for its gateway (the PodEndpoint) and returns
    /// how to reach that gateway.
    func nicAdd(_ request: NicAddRequest) async throws(EgressManagerError) -> GatewayAssignment
    /// Forgets the pod's registration, but only the one made for `request.containerID`: a late
    /// DEL of an old sandbox must not remove the registration of the pod's new sandbox.
    func nicDel(_ request: NicDelRequest) async throws(EgressManagerError)
    /// Answers when the manager serves requests (STATUS).
    func checkAvailable() async throws(EgressManagerError)
    /// Removes the registrations of this node's sandboxes other than `validContainerIDs` (GC);
    /// returns the pods whose registration went, as `namespace/name`.
    func collectGarbage(validContainerIDs: [String]) async throws(EgressManagerError) -> [String]
}

/// The pod's half of the tunnel, sent to the cni-manager.
public struct NicAddRequest: Equatable, Sendable {
    public var pod: PodReference
    /// The sandbox the registration belongs to (`CNI_CONTAINERID`).
    public var containerID: String
    /// The StaticGatewayConfiguration named by the pod's annotation, in the pod's namespace.
    public var gatewayName: String
    public var publicKey: PublicKey
    /// The pod device's UDP port; informational (the gateway learns the endpoint from handshakes).
    public var listenPort: UInt16
    /// The pod's IPv4 address as a /32: the gateway's allowed IP for this peer.
    public var allowedIP: IPNetwork

    public init(pod: PodReference, containerID: String, gatewayName: String, publicKey: PublicKey,
                listenPort: UInt16, allowedIP: IPNetwork) {
        self.pod = pod
        self.containerID = containerID
        self.gatewayName = gatewayName
        self.publicKey = publicKey
        self.listenPort = listenPort
        self.allowedIP = allowedIP
    }
}

/// Which registration to remove.
public struct NicDelRequest: Equatable, Sendable {
    public var pod: PodReference
    public var containerID: String

    public init(pod: PodReference, containerID: String) {
        self.pod = pod
        self.containerID = containerID
    }
}

/// Where the pod's tunnel goes and what it carries (the SGC's status and spec).
public struct GatewayAssignment: Equatable, Sendable {
    /// The gateway's WireGuard key (`status.gatewayServerProfile.publicKey`).
    public var gatewayPublicKey: PublicKey
    /// The gateway's load-balancer frontend and port (`status.gatewayServerProfile.ip:port`).
    public var endpoint: Endpoint
    /// `spec.excludeCidrs`: destinations that bypass the tunnel (gateway-default mode) or the only
    /// ones that use it (Azure-networking mode).
    public var exceptionCIDRs: [IPNetwork]
    public var defaultRoute: DefaultRouteMode

    public init(gatewayPublicKey: PublicKey, endpoint: Endpoint, exceptionCIDRs: [IPNetwork] = [],
                defaultRoute: DefaultRouteMode = .staticEgressGateway) {
        self.gatewayPublicKey = gatewayPublicKey
        self.endpoint = endpoint
        self.exceptionCIDRs = exceptionCIDRs
        self.defaultRoute = defaultRoute
    }
}

/// `spec.defaultRoute` of the StaticGatewayConfiguration.
public enum DefaultRouteMode: String, Hashable, Sendable, CaseIterable {
    /// The pod's default route goes into the tunnel; exception CIDRs bypass it.
    case staticEgressGateway
    /// The pod keeps its default route; only the exception CIDRs go into the tunnel.
    case azureNetworking
}

/// A failed cni-manager call. The plugin turns each case into a CNI error whose message names
/// the pod (and the gateway, for nicAdd).
public enum EgressManagerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No answer: the manager is not running, its socket is missing, or the call timed out.
    /// CNI code 11 (try again later).
    case unreachable(String)
    /// The gateway exists but cannot take pods yet (no egress prefix). CNI code 11.
    case notReady(String)
    /// The manager refused the request (unknown gateway configuration, bad key). CNI code 7.
    case rejected(String)

    public var description: String {
        switch self {
        case .unreachable(let detail): "cni-manager unreachable: \(detail)"
        case .notReady(let detail): "gateway not ready: \(detail)"
        case .rejected(let detail): "cni-manager refused: \(detail)"
        }
    }

    var code: CNIError.Code {
        switch self {
        case .unreachable, .notReady: .tryAgainLater
        case .rejected: .invalidConfig
        }
    }
}

/// The manager client when none can be made (the socket path is unusable): every call is
/// ``EgressManagerError/unreachable(_:)``. Pods whose annotations come from the runtime and
/// name no gateway never call it, so they pass through untouched.
public struct UnavailableEgressManager: EgressManagerClient {
    /// The socket the config named, for the error text.
    public let socket: String
    public let reason: String

    public init(socket: String, reason: String) {
        self.socket = socket
        self.reason = reason
    }

    private var failure: EgressManagerError { .unreachable("\(socket): \(reason)") }

    public func podAnnotations(of pod: PodReference) async throws(EgressManagerError) -> [String: String] { throw failure }
    public func nicAdd(_ request: NicAddRequest) async throws(EgressManagerError) -> GatewayAssignment { throw failure }
    public func nicDel(_ request: NicDelRequest) async throws(EgressManagerError) { throw failure }
    public func checkAvailable() async throws(EgressManagerError) { throw failure }
    public func collectGarbage(validContainerIDs: [String]) async throws(EgressManagerError) -> [String] { throw failure }
}
