import Netlink

/// The IPAM plugin `egressgw-cni-ipam` (upstream-cni §2): it allocates nothing and reports the
/// addresses the main CNI already put on the pod's `eth0`: the IPv6 link-local one (which `wg0`
/// takes over) and the IPv4 one (the pod's address at the gateway), in that order.
public struct EgressIPAM: CNIHandler {
    public init() {}

    public func add(_ request: CNIRequest) async throws(CNIError) -> CNIResult {
        guard !request.config.ipamType.isEmpty else {
            throw CNIError(code: .invalidConfig, message: "invalid network config: ipam.type should not be empty")
        }
        // requireVariables has checked CNI_NETNS for ADD.
        return try Self.podAddresses(in: NetworkNamespace(path: request.environment.networkNamespace ?? ""))
    }

    /// Nothing was allocated, so there is nothing to release.
    public func delete(_ request: CNIRequest) async throws(CNIError) {}
    /// Nothing was allocated, so there is nothing to verify.
    public func check(_ request: CNIRequest) async throws(CNIError) {}
    /// Always available: it needs nothing but the pod's namespace.
    public func status(_ request: CNIRequest) async throws(CNIError) {}
    /// Nothing was allocated, so nothing can leak.
    public func garbageCollect(_ request: CNIRequest) async throws(CNIError) {}

    /// The primary interface, hard-coded as upstream does (`CNI_IFNAME` is not consulted).
    public static let podInterface = "eth0"

    /// The last link-scope IPv6 address and the last global IPv4 address of `eth0` in `namespace`,
    /// with their prefixes. Either missing is an error: the pod cannot use a gateway then.
    public static func podAddresses(in namespace: NetworkNamespace) throws(CNIError) -> CNIResult {
        let addresses: [Address]
        do {
            let links = try NetlinkHandle(namespace: namespace)
            addresses = try links.addresses(linkNamed: podInterface)
        } catch NetlinkError.notFound(let operation) where !namespace.exists {
            throw CNIError(code: .unknownContainer, message: "\(operation): network namespace \(namespace.path) does not exist")
        } catch NetlinkError.notFound(let operation) {
            throw CNIError(code: .internalFailure, message: "\(operation): link not found")
        } catch {
            throw .failed("list the addresses of \(podInterface) in \(namespace)", error)
        }
        guard let ipv4 = addresses.last(where: { $0.family == .ipv4 && $0.scope == .universe }) else {
            throw CNIError(code: .internalFailure,
                           message: "\(podInterface) in \(namespace) has no global IPv4 address: the pod cannot use an egress gateway")
        }
        guard let ipv6 = addresses.last(where: { $0.family == .ipv6 && $0.scope == .link }) else {
            throw CNIError(code: .internalFailure,
                           message: "\(podInterface) in \(namespace) has no IPv6 link-local address (is IPv6 disabled in the pod?): the pod cannot use an egress gateway")
        }
        return CNIResult(ips: [.init(address: ipv6.network), .init(address: ipv4.network)])
    }
}
