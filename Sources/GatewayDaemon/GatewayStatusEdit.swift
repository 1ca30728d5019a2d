import EgressGatewayAPI

/// One change to this node's GatewayStatus, with the ADD/DELETE meaning the Go daemon gives it
/// (spec §6), so that an object either daemon wrote reads the same to the other.
public enum GatewayStatusEdit: Hashable, Sendable {
    /// A gateway is ready on `interfaceName`. The item of that interface is replaced, so one
    /// left by an earlier gateway on the same port is refreshed (the Go ADD keeps it stale).
    case addGateway(staticGatewayConfiguration: String, interfaceName: String)
    /// The link `interfaceName` went: its gateway item and every peer item on it go too.
    case removeGateway(interfaceName: String)
    /// Peers are configured; an item with the same public key is replaced.
    case addPeers([EgressGatewayAPI.PeerConfiguration])
    /// Peers removed by public key (a PodEndpoint deleted, its peer gone at once).
    case removePeers(Set<String>)
    /// The result of a peer sweep: every item whose key is not in `kept` goes (the fix of
    /// upstream #1299: the links are the truth), except items on `failedInterfaces`, whose link
    /// could not be read, so that their peers are unknown rather than gone (the Go daemon drops
    /// them).
    case keepPeers(kept: Set<String>, failedInterfaces: Set<String>)

    /// Whether the edit can create the object: only additions do, as in Go.
    var creates: Bool {
        switch self {
        case .addGateway, .addPeers: true
        case .removeGateway, .removePeers, .keepPeers: false
        }
    }

    func apply(to spec: inout GatewayStatusSpec) {
        switch self {
        case .addGateway(let name, let interfaceName):
            spec.readyGatewayConfigurations.removeAll { $0.interfaceName == interfaceName }
            spec.readyGatewayConfigurations.append(.init(staticGatewayConfiguration: name, interfaceName: interfaceName))
        case .removeGateway(let interfaceName):
            spec.readyGatewayConfigurations.removeAll { $0.interfaceName == interfaceName }
            spec.readyPeerConfigurations.removeAll { $0.interfaceName == interfaceName }
        case .addPeers(let peers):
            let keys = Set(peers.map(\.publicKey))
            spec.readyPeerConfigurations.removeAll { keys.contains($0.publicKey) }
            spec.readyPeerConfigurations += peers
        case .removePeers(let keys):
            spec.readyPeerConfigurations.removeAll { keys.contains($0.publicKey) }
        case .keepPeers(let kept, let failed):
            spec.readyPeerConfigurations.removeAll { !failed.contains($0.interfaceName) && !kept.contains($0.publicKey) }
        }
    }

    /// Applies `edits` in order and sorts both lists, so that the written object does not
    /// depend on map order and an unchanged state compares equal.
    public static func applying(_ edits: [GatewayStatusEdit], to spec: GatewayStatusSpec) -> GatewayStatusSpec {
        var spec = spec
        for edit in edits { edit.apply(to: &spec) }
        spec.readyGatewayConfigurations = unique(spec.readyGatewayConfigurations, by: \.interfaceName)
            .sorted { ($0.interfaceName, $0.staticGatewayConfiguration) < ($1.interfaceName, $1.staticGatewayConfiguration) }
        spec.readyPeerConfigurations = unique(spec.readyPeerConfigurations, by: \.publicKey)
            .sorted { ($0.interfaceName, $0.podEndpoint, $0.publicKey) < ($1.interfaceName, $1.podEndpoint, $1.publicKey) }
        return spec
    }

    /// The last item of each key (an object written by hand may repeat one).
    private static func unique<Item>(_ items: [Item], by key: (Item) -> String) -> [Item] {
        var position: [String: Int] = [:]
        var result: [Item] = []
        for item in items {
            if let index = position[key(item)] {
                result[index] = item
            } else {
                position[key(item)] = result.count
                result.append(item)
            }
        }
        return result
    }
}
