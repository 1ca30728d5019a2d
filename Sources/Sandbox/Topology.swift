import Foundation
import Netlink

/// Builds and removes the network of a sandbox run: the fabric, the Internet, the nodes and the
/// host's control link. Only static wiring lives here; what Azure changes at run time (secondary
/// IPs, public IPs, load balancers) is the ``Fabric``'s.
public enum Topology {
    /// Creates every namespace and link of `layout`. Refuses when objects with the layout's name
    /// prefix exist already; on a failure half-way, removes what it made.
    public static func create(_ layout: SandboxLayout) throws(SandboxError) {
        let found = leftovers(matching: layout.prefix + "-", hostLinks: layout.hostControlLink)
        guard found.isEmpty else { throw .leftovers(found) }
        if layout.hostControlLink { try checkHostRoutes() }
        do {
            try build(layout)
        } catch {
            _ = destroy(layout)
            throw error
        }
    }

    /// Removes every namespace and the host link of `layout`; what is already gone is skipped.
    /// Returns what could not be removed (empty when all is clean).
    public static func destroy(_ layout: SandboxLayout) -> [String] {
        var failures: [String] = []
        for name in layout.namespaces.reversed() {
            let namespace = NetworkNamespace(path: "\(NetworkNamespace.runDirectory)/\(name)")
            guard namespace.exists else { continue }
            do { try namespace.delete() } catch { failures.append("\(namespace): \(error)") }
        }
        // Deleting the fabric namespace destroys the host link's peer and with it the link; this
        // catches a link whose namespace was never made.
        if layout.hostControlLink, let host = try? NetlinkHandle(), (try? host.link(named: layout.hostLink)) != nil {
            do { try host.deleteLink(named: layout.hostLink) } catch { failures.append("host link \(layout.hostLink): \(error)") }
        }
        return failures
    }

    /// Namespaces whose names start with `prefix` (`egsb-` for any run, `egsb-1a2b-` for one),
    /// and host links whose names start with it without dashes: what an earlier run left.
    public static func leftovers(matching prefix: String, hostLinks: Bool = true) -> [String] {
        var found: [String] = []
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: NetworkNamespace.runDirectory)) ?? []
        found += entries.filter { $0.hasPrefix(prefix) }.sorted().map { "netns \($0)" }
        let linkPrefix = prefix.replacingOccurrences(of: "-", with: "")
        if hostLinks, let host = try? NetlinkHandle(), let links = try? host.links() {
            found += links.filter { $0.name.hasPrefix(linkPrefix) && $0.kind == "veth" }.map { "link \($0.name)" }
        }
        return found
    }

    // MARK: Building

    private static func build(_ layout: SandboxLayout) throws(SandboxError) {
        let fabric = try makeNamespace(layout.fabricNamespace)
        let fabricLinks = try handle(fabric)
        try SandboxError.during("configure \(fabric)") {
            // Before any port exists: new ports copy `default`. Proxy ARP is how the Azure host
            // answers every ARP request on the VNet; rp_filter stays off because the ILB path is
            // asymmetric (to the frontend via the LB, back directly).
            for (key, value) in [
                ("net.ipv4.ip_forward", "1"), ("net.ipv4.conf.all.rp_filter", "0"), ("net.ipv4.conf.default.rp_filter", "0"),
                ("net.ipv4.conf.all.proxy_arp", "1"),
            ] { try fabric.writeSysctl(key, value) }
            try fabricLinks.setLinkUp("lo")
            let loopback = try fabricLinks.link(named: "lo")
            for address in [SandboxLayout.fabricAddress, SandboxLayout.probeSource] {
                try fabricLinks.addAddress(Address(linkIndex: loopback.index, network: IPNetwork(host: address)))
            }
            // ILB frontends route here when no rule takes the packet: Azure drops what no rule serves.
            // A bridge without ports swallows them (this kernel has no dummy links), and the route
            // through it is what lets proxy ARP answer for the frontends.
            try fabricLinks.addLink(name: SandboxLayout.frontendLink, kind: "bridge")
            try fabricLinks.setLinkUp(SandboxLayout.frontendLink)
        }

        let internet = try makeNamespace(layout.internetNamespace)
        let internetLinks = try handle(internet)
        try SandboxError.during("connect \(internet) to the fabric") {
            try fabricLinks.addVeth(name: SandboxLayout.edgePort, peerName: "eth0", peerNamespace: internet)
            let edge = try fabricLinks.link(named: SandboxLayout.edgePort)
            try fabricLinks.addAddress(Address(linkIndex: edge.index, network: IPNetwork(address: SandboxLayout.edgeFabricAddress, prefixLength: 30)!))
            try fabricLinks.setLinkUp(SandboxLayout.edgePort)
            try fabricLinks.addRoute(Route(destination: nil, gateway: SandboxLayout.edgeInternetAddress, linkIndex: edge.index))

            try internetLinks.setLinkUp("lo")
            let loopback = try internetLinks.link(named: "lo")
            try internetLinks.addAddress(Address(linkIndex: loopback.index, network: IPNetwork(host: SandboxLayout.echoAddress)))
            let eth0 = try internetLinks.link(named: "eth0")
            try internetLinks.addAddress(Address(linkIndex: eth0.index, network: IPNetwork(address: SandboxLayout.edgeInternetAddress, prefixLength: 30)!))
            try internetLinks.setLinkUp("eth0")
            try internetLinks.addRoute(Route(destination: nil, gateway: SandboxLayout.edgeFabricAddress, linkIndex: eth0.index))
        }

        for node in layout.nodes {
            let namespace = try makeNamespace(node.namespace)
            let nodeLinks = try handle(namespace)
            try SandboxError.during("connect node \(node.name) to the fabric") {
                // Workers forward for their pods, gateways between eth0 and their gateway namespace.
                try namespace.writeSysctl("net.ipv4.ip_forward", "1")
                try fabricLinks.addVeth(name: node.fabricPort, peerName: "eth0", peerNamespace: namespace)
                try fabricLinks.setLinkUp(node.fabricPort)
                try answerARPAtOnce(fabric, port: node.fabricPort)
                let port = try fabricLinks.link(named: node.fabricPort)
                try fabricLinks.addRoute(Route(destination: IPNetwork(host: node.primaryIP), linkIndex: port.index))
                // The load balancer's way to this node as a backend: mark → table → the node.
                let table = SandboxLayout.table(forMark: node.backendMark)
                try fabricLinks.addRoute(Route(destination: nil, gateway: node.primaryIP, linkIndex: port.index, table: table))
                try fabricLinks.addRule(Rule(priority: 100 + (node.backendMark - SandboxLayout.backendMarkBase),
                                             table: table, fwmark: node.backendMark))

                try nodeLinks.setLinkUp("lo")
                let eth0 = try nodeLinks.link(named: "eth0")
                try nodeLinks.addAddress(Address(linkIndex: eth0.index, network: IPNetwork(address: node.primaryIP, prefixLength: SandboxLayout.vnet.prefixLength)!))
                try nodeLinks.setLinkUp("eth0")
                try nodeLinks.addRoute(Route(destination: nil, gateway: SandboxLayout.fabricAddress, linkIndex: eth0.index))
            }
        }

        if layout.hostControlLink {
            try SandboxError.during("connect the host to the fabric (\(layout.hostLink))") {
                let host = try NetlinkHandle()
                try host.addVeth(name: layout.hostLink, peerName: SandboxLayout.controlPort, peerNamespace: fabric)
                let link = try host.link(named: layout.hostLink)
                try host.addAddress(Address(linkIndex: link.index, network: IPNetwork(host: SandboxLayout.controlAddress)))
                try host.setLinkUp(layout.hostLink)
                try host.addRoute(Route(destination: SandboxLayout.vnet, linkIndex: link.index, preferredSource: SandboxLayout.controlAddress))
                try fabricLinks.setLinkUp(SandboxLayout.controlPort)
                try answerARPAtOnce(fabric, port: SandboxLayout.controlPort)
                let port = try fabricLinks.link(named: SandboxLayout.controlPort)
                try fabricLinks.addRoute(Route(destination: IPNetwork(host: SandboxLayout.controlAddress), linkIndex: port.index))
            }
        }
    }

    /// The host reaches the VNet through the control link; a route the host already has for an
    /// overlapping range would make that ambiguous.
    private static func checkHostRoutes() throws(SandboxError) {
        let routes = try SandboxError.during("read the host's routes") { try NetlinkHandle().routes(family: .ipv4) }
        for route in routes {
            guard let destination = route.destination else { continue }
            if destination.contains(SandboxLayout.vnet.address) || SandboxLayout.vnet.contains(destination.address) {
                throw .invalidConfiguration(field: "host route", value: destination.description,
                                            reason: "overlaps the sandbox VNet \(SandboxLayout.vnet)")
            }
        }
    }

    /// Proxy ARP answers after a random delay of up to 0.8 s by default (per port; a non-initial
    /// namespace has no `default` to inherit from).
    private static func answerARPAtOnce(_ fabric: NetworkNamespace, port: String) throws {
        try fabric.writeSysctl("net.ipv4.neigh.\(port).proxy_delay", "0")
    }

    private static func makeNamespace(_ name: String) throws(SandboxError) -> NetworkNamespace {
        try SandboxError.during("create netns \(name)") { try NetworkNamespace.create(named: name) }
    }

    private static func handle(_ namespace: NetworkNamespace) throws(SandboxError) -> NetlinkHandle {
        try SandboxError.during("open netlink in \(namespace)") { try NetlinkHandle(namespace: namespace) }
    }
}
