import Netlink
import WireGuard

/// Which peer owns each pod CIDR of each gateway link, as far as this data path's own reads and
/// writes tell. It lets a removal delete exactly the routes no other peer needs without reading
/// the whole device on every pod event: a new pod may already have been given a deleted pod's
/// address (the device moved it to the new peer), and that route must stay.
///
/// Every apply and every sweep rebuilds a link's entry from the device. Should something else
/// change the device in between, the worst outcome is a route the next sweep removes or one the
/// next apply restores.
struct PeerIndex: Sendable {
    /// The peers of one link, both ways round.
    struct LinkPeers: Sendable {
        var ownerOf: [IPNetwork: PublicKey] = [:]
        var addressesOf: [PublicKey: Set<IPNetwork>] = [:]

        init(peers: [Peer] = []) {
            for peer in peers {
                for address in peer.allowedIPs { assign(address, to: peer.publicKey) }
            }
        }

        /// An allowed IP belongs to one peer of a device: giving it to `key` takes it from its owner.
        mutating func assign(_ address: IPNetwork, to key: PublicKey) {
            if let previous = ownerOf[address], previous != key { addressesOf[previous]?.remove(address) }
            ownerOf[address] = key
            addressesOf[key, default: []].insert(address)
        }

        /// What a configuration with replaced allowed IPs does.
        mutating func replace(_ key: PublicKey, with address: IPNetwork) {
            _ = remove(key)
            assign(address, to: key)
        }

        /// Forgets `key`; returns the addresses it had.
        mutating func remove(_ key: PublicKey) -> Set<IPNetwork> {
            let addresses = addressesOf.removeValue(forKey: key) ?? []
            for address in addresses { ownerOf[address] = nil }
            return addresses
        }
    }

    private var links: [UInt16: LinkPeers] = [:]

    /// Takes a link's peers as just read from its device.
    mutating func reset(port: UInt16, from peers: [Peer]) {
        links[port] = LinkPeers(peers: peers)
    }

    /// Records peers just configured with replaced allowed IPs.
    mutating func record(_ peers: [GatewayPeer], port: UInt16) {
        for peer in peers { links[port, default: LinkPeers()].replace(peer.publicKey, with: peer.podCIDR) }
    }

    /// Forgets peers just removed, and returns the addresses whose routes go with them: every
    /// address the index had for them, and the one the caller knew unless another peer owns it now.
    mutating func remove(_ peers: [GatewayPeer], port: UInt16) -> [IPNetwork] {
        var link = links[port] ?? LinkPeers()
        var doomed: Set<IPNetwork> = []
        for peer in peers { doomed.formUnion(link.remove(peer.publicKey)) }
        for peer in peers where link.ownerOf[peer.podCIDR] == nil { doomed.insert(peer.podCIDR) }
        links[port] = link
        return doomed.sorted()
    }

    mutating func forget(port: UInt16) {
        links[port] = nil
    }
}
