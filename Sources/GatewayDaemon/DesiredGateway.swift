import EgressGatewayAPI
import Foundation
import Kube
import Netlink
import WireGuard

/// The pure half of the reconcilers: what the node should hold, computed from the informers'
/// objects and the node's identity, with no kernel and no API call.
struct DesiredState {
    let identity: NodeIdentity
    let secretNamespace: String
    let gateways: ObjectStore<StaticGatewayConfiguration>
    let vmConfigurations: ObjectStore<GatewayVMConfiguration>
    let endpoints: ObjectStore<PodEndpoint>
    let secrets: ObjectStore<Secret>

    /// Index of PodEndpoints by `<namespace>/<spec.staticGatewayConfiguration>`.
    static let gatewayIndex = "gateway"

    static func gatewayKey(of endpoint: PodEndpoint) -> ObjectKey {
        ObjectKey(namespace: endpoint.metadata.namespace, name: endpoint.spec.staticGatewayConfiguration)
    }

    /// Whether `gateway` is provisioned by the operator and targets this node.
    func serves(_ gateway: StaticGatewayConfiguration) -> Bool {
        gateway.status.isProvisioned && identity.isTargeted(by: gateway)
    }

    /// The gateway's configuration with every peer of its PodEndpoints. Endpoints whose key or
    /// address do not parse are left out (and logged by their own reconcile), so one bad pod
    /// does not keep a gateway down.
    func configuration(of gateway: StaticGatewayConfiguration) throws(GatewayDaemonError) -> (GatewayConfiguration, [ObjectKey: GatewayPeer]) {
        let key = gateway.objectKey
        let profile = gateway.status.gatewayServerProfile
        let privateKey = try privateKey(of: gateway)
        guard let ilbIP = IPAddress(profile.ip), ilbIP.isIPv4 else {
            throw .invalidField(object: "StaticGatewayConfiguration \(key)", field: "status.gatewayServerProfile.ip",
                                value: profile.ip, reason: "not an IPv4 address")
        }
        guard let port = UInt16(exactly: profile.port), port != 0 else {
            throw .invalidField(object: "StaticGatewayConfiguration \(key)", field: "status.gatewayServerProfile.port",
                                value: "\(profile.port)", reason: "not a port")
        }
        let addresses = try identity.addresses(in: vmConfigurations.get(key), of: key)
        var peers: [ObjectKey: GatewayPeer] = [:]
        for endpoint in endpoints.byIndex(Self.gatewayIndex, key.description) {
            if let peer = try? Self.peer(of: endpoint) { peers[endpoint.objectKey] = peer }
        }
        do throws(GatewayDataPathError) {
            let configuration = try GatewayConfiguration(
                uid: gateway.metadata.uid, port: port, ilbIP: ilbIP, primaryIP: addresses.primaryIP,
                secondaryIP: addresses.secondaryIP, privateKey: privateKey,
                peers: peers.sorted { $0.key < $1.key }.map(\.value))
            return (configuration, peers)
        } catch {
            throw .dataPath(object: "StaticGatewayConfiguration \(key)", cause: error)
        }
    }

    /// The key in the Secret the status names, read only from `--secret-namespace`.
    private func privateKey(of gateway: StaticGatewayConfiguration) throws(GatewayDaemonError) -> PrivateKey {
        let key = gateway.objectKey
        let reference = gateway.status.gatewayServerProfile.privateKeySecretRef ?? ObjectReference()
        let secretKey = ObjectKey(namespace: reference.namespace, name: reference.name)
        guard secretKey.namespace == secretNamespace, let secret = secrets.get(secretKey) else {
            throw .secretMissing(gateway: key, secret: secretKey, secretNamespace: secretNamespace)
        }
        guard let data = secret.data[EgressGateway.SecretKey.privateKey] else {
            throw .invalidField(object: "secret \(secretKey)", field: "data.\(EgressGateway.SecretKey.privateKey)",
                                value: "", reason: "failed to retrieve private key from secret \(secretKey)")
        }
        do {
            return try PrivateKey(base64: String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        } catch {
            throw .invalidField(object: "secret \(secretKey)", field: "data.\(EgressGateway.SecretKey.privateKey)",
                                value: "(redacted)", reason: "\(error)")
        }
    }

    /// The peer a PodEndpoint asks for: its public key, and its address block (`a.b.c.d/32`
    /// normally; a bare address is taken as a /32 where the Go daemon fails).
    static func peer(of endpoint: PodEndpoint) throws(GatewayDaemonError) -> GatewayPeer {
        let object = "PodEndpoint \(endpoint.objectKey)"
        let key: PublicKey
        do {
            key = try PublicKey(base64: endpoint.spec.podPublicKey, field: "spec.podPublicKey")
        } catch {
            throw .invalidField(object: object, field: "spec.podPublicKey", value: endpoint.spec.podPublicKey, reason: "\(error)")
        }
        let text = endpoint.spec.podIpAddress
        guard let network = IPNetwork(text) ?? IPAddress(text).map(IPNetwork.init(host:)) else {
            throw .invalidField(object: object, field: "spec.podIpAddress", value: text, reason: "not a CIDR")
        }
        do throws(GatewayDataPathError) {
            return try GatewayPeer(publicKey: key, podCIDR: network)
        } catch {
            throw .dataPath(object: object, cause: error)
        }
    }

    /// The gateways the cleanup keeps: every provisioned gateway that targets the node and is
    /// not being deleted, including one whose VM profile does not list the node right now (the Go
    /// daemon tears that one down; here its link and peers stay and only what needs the unknown
    /// secondary IP is left alone).
    func activeGateways() -> [ActiveGateway] {
        gateways.list().compactMap { gateway -> ActiveGateway? in
            guard serves(gateway), !gateway.metadata.isBeingDeleted,
                  let port = UInt16(exactly: gateway.status.gatewayServerProfile.port), port != 0 else { return nil }
            let addresses = try? identity.addresses(in: vmConfigurations.get(gateway.objectKey), of: gateway.objectKey)
            return ActiveGateway(port: port, secondaryIP: addresses?.secondaryIP,
                                 ilbIP: IPAddress(gateway.status.gatewayServerProfile.ip))
        }
    }

    /// Per active link, the public keys its PodEndpoints ask for: what the peer sweep keeps.
    func expectedPeers() -> [UInt16: Set<PublicKey>] {
        var expected: [UInt16: Set<PublicKey>] = [:]
        for gateway in gateways.list() {
            guard serves(gateway), !gateway.metadata.isBeingDeleted,
                  let port = UInt16(exactly: gateway.status.gatewayServerProfile.port), port != 0 else { continue }
            var keys = expected[port] ?? []
            for endpoint in endpoints.byIndex(Self.gatewayIndex, gateway.objectKey.description) {
                if let key = try? PublicKey(base64: endpoint.spec.podPublicKey) { keys.insert(key) }
            }
            expected[port] = keys
        }
        return expected
    }
}
