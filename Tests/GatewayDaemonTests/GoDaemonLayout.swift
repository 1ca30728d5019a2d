import Foundation
import GatewayDaemon
import Netlink
import Testing
import WireGuard

/// The layout of §2 made by hand with `ip`, `wg` and `iptables`, in the order and with the
/// defaults of the Go daemon (link created in the host and moved, no alias, rules inserted one by
/// one with `-I`), for `configuration` with `peers`.
func buildGoDaemonLayout(_ topology: TestNode, _ configuration: GatewayConfiguration, peers: [GatewayPeer]) throws {
    let node = topology.node
    let (link, port) = (configuration.linkName, String(configuration.port))
    // The init container: `ip netns add`.
    try NetworkNamespace.process.executeChecked("ip", ["netns", "add", topology.gatewayNamespaceName])
    let gateway = topology.gateway
    try ip(node, "addr", "add", "10.0.0.100/32", "dev", "eth0", "label", "eth0:egress")
    try ip(node, "addr", "del", "10.0.0.6/24", "dev", "eth0")
    for arguments in [
        ["-N", "EGRESS-GATEWAY-SNAT"],
        ["-I", "POSTROUTING", "-m", "comment", "--comment", "kube-egress-gateway no MASQUERADE", "-j", "EGRESS-GATEWAY-SNAT"],
        ["-N", "EGRESS-10-0-0-6"],
        ["-I", "EGRESS-GATEWAY-SNAT", "-m", "comment", "--comment", "kube-egress-gateway no sNAT packet from ip 10.0.0.6",
         "-j", "EGRESS-10-0-0-6"],
        ["-A", "EGRESS-10-0-0-6", "-s", "10.0.0.6/32", "-j", "ACCEPT"],
    ] {
        try node.executeChecked("iptables", ["-t", "nat"] + arguments)
    }
    try createGoStyleLink(link, in: node)
    try ip(node, "link", "set", link, "netns", topology.gatewayNamespaceName)
    try ip(gateway, "addr", "add", "fe80::1/64", "dev", link)
    try ip(gateway, "link", "set", link, "up")
    try gateway.executeChecked("wg", ["set", link, "listen-port", port, "private-key", "/dev/stdin"],
                               input: Array((configuration.privateKey.base64 + "\n").utf8))
    try ip(node, "link", "add", "host-gateway", "type", "veth", "peer", "name", "host0")
    try ip(node, "link", "set", "host-gateway", "up")
    try ip(node, "route", "replace", "10.0.0.6/32", "dev", "host-gateway", "scope", "global")
    try ip(node, "link", "set", "host0", "netns", topology.gatewayNamespaceName)
    try ip(gateway, "addr", "add", "10.0.0.6/32", "dev", "host0")
    try ip(gateway, "link", "set", "host0", "up")
    try ip(gateway, "route", "replace", "10.0.0.5/32", "dev", "host0", "scope", "link")
    try ip(gateway, "route", "replace", "default", "via", "10.0.0.5", "dev", "host0")
    try ip(gateway, "link", "set", "lo", "up")
    for arguments in [
        ["-N", "EGRESS-GATEWAY-MARK-\(port)"],
        ["-I", "PREROUTING", "-m", "comment", "--comment", "kube-egress-gateway mark packets from gateway link \(link)",
         "-j", "EGRESS-GATEWAY-MARK-\(port)"],
        ["-A", "EGRESS-GATEWAY-MARK-\(port)", "-i", link, "-j", "CONNMARK", "--set-mark", port],
        ["-N", "EGRESS-GATEWAY-SNAT-\(port)"],
        ["-I", "POSTROUTING", "-m", "comment", "--comment", "kube-egress-gateway sNAT packets from gateway link \(link)",
         "-j", "EGRESS-GATEWAY-SNAT-\(port)"],
        ["-A", "EGRESS-GATEWAY-SNAT-\(port)", "-o", "host0", "-m", "connmark", "--mark", port, "-j", "SNAT",
         "--to-source", "10.0.0.6"],
    ] {
        try gateway.executeChecked("iptables", ["-t", "nat"] + arguments)
    }
    for peer in peers {
        try gateway.executeChecked("wg", ["set", link, "peer", peer.publicKey.base64, "allowed-ips", peer.podCIDR.description])
        try ip(gateway, "route", "replace", peer.podCIDR.description, "dev", link, "scope", "link")
    }
}

/// The Go daemon creates a kernel WireGuard link; where the kernel has none, the userspace
/// implementation stands in, started in the host namespace as the Go daemon's link would be.
func createGoStyleLink(_ name: String, in node: NetworkNamespace) throws {
    guard Host.isUserspace else {
        try ip(node, "link", "add", name, "type", "wireguard")
        return
    }
    try node.executeChecked("wireguard-go", [name], environment: ["PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"])
    // The link may not be moved before the implementation answers on its socket.
    for _ in 0..<200 where try node.execute("wg", ["show", name]).exitCode != 0 { usleep(10_000) }
    try node.executeChecked("wg", ["show", name])
}
