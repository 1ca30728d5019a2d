import Foundation
import GatewayDaemon
import Netlink
import Testing
import WireGuard

@Suite("Gateway packet walk (root)",
       .enabled(if: Host.isRoot, "needs root"),
       .enabled(if: Host.hasWireGuard, "no WireGuard backend: neither the kernel module nor wireguard-go"))
struct PacketWalkTests {
    /// §2.7 end to end: a pod's WireGuard device (peer = the gateway's key, endpoint = ILB
    /// IP:port, allowed 0.0.0.0/0) sends UDP to a server on the "Internet". The fabric delivers
    /// the ILB IP to the node's eth0, the host-namespace socket decrypts into `wg-<port>` in the
    /// gateway namespace, the packet leaves by `host0`/`host-gateway` source-NATed to the
    /// secondary IP, and the server's echo finds its way back into the tunnel.
    @Test func podReachesTheInternetFromTheSecondaryIP() async throws {
        let topology = try TestNode("walk")
        defer { #expect(topology.teardown(), "a wireguard-go process outlived its link") }
        let secondary = IPAddress("10.0.0.6")!
        try topology.addSecondaryIP(secondary)
        let pod = try topology.addPod()
        let podKey = try PrivateKey.generate()
        let podAddress = IPNetwork("10.244.0.7/32")!
        let configuration = try topology.configuration(
            uid: "walk-uid", secondaryIP: secondary,
            peers: [try GatewayPeer(publicKey: podKey.publicKey, podCIDR: podAddress)])
        let dataPath = GatewayDataPath(node: try topology.gatewayNode())
        try await dataPath.apply(configuration)

        // The pod side, as the CNI plugin would make it, with the WireGuard library.
        let device = Host.deviceName()
        topology.use(device: device)
        let podWireGuard = try WireGuardClient(namespace: pod)
        try podWireGuard.createDevice(named: device)
        try podWireGuard.configure(named: device, DeviceConfiguration(privateKey: podKey, peers: [
            PeerConfiguration(publicKey: configuration.privateKey.publicKey,
                              endpoint: Endpoint(address: TestNode.ilbIP, port: configuration.port),
                              allowedIPs: [IPNetwork("0.0.0.0/0")!]),
        ]))
        try ip(pod, "addr", "add", podAddress.description, "dev", device)
        try ip(pod, "link", "set", device, "up")
        try ip(pod, "route", "add", "\(TestNode.serverIP)/32", "dev", device)

        let server = try UDPSocket.open(in: topology.internet, port: 7777)
        defer { server.close() }
        let client = try UDPSocket.open(in: pod, port: nil)
        defer { client.close() }

        var seenSource: String?
        var echoed: String?
        // The first datagram may wait for the handshake; a few tries, no timing asserted.
        for attempt in 0..<20 where echoed == nil {
            let message = "ping \(attempt)"
            try client.send(message, to: TestNode.serverIP.description, port: 7777)
            guard let (text, source, sourcePort) = server.receive() else { continue }
            seenSource = source
            try server.send(text, to: source, port: sourcePort)
            if let (answer, _, _) = client.receive(), answer == text { echoed = answer }
        }
        #expect(seenSource == secondary.description, "the Internet sees the secondary IP")
        #expect(echoed != nil, "the answer came back through the gateway into the tunnel")
        let dump = try WGDump.read(configuration.linkName, in: topology.gateway)
        #expect(dump.peers[podKey.publicKey.base64]?.endpoint.hasPrefix("10.1.1.2:") == true,
                "the gateway learnt the pod's endpoint from its handshake")
    }
}

/// A blocking UDP socket opened inside a namespace (it stays there whichever thread uses it),
/// with a receive timeout so a lost datagram only costs a retry.
struct UDPSocket {
    let descriptor: Int32

    static func open(in namespace: NetworkNamespace, port: UInt16?) throws -> UDPSocket {
        try namespace.perform {
            let descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
            try #require(descriptor >= 0, "socket: errno \(errno)")
            var timeout = timeval(tv_sec: 1, tv_usec: 0)
            setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            if let port {
                var address = Self.address("0.0.0.0", port)
                let status = withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                }
                try #require(status == 0, "bind: errno \(errno)")
            }
            return UDPSocket(descriptor: descriptor)
        }
    }

    func send(_ text: String, to host: String, port: UInt16) throws {
        var address = Self.address(host, port)
        let bytes = Array(text.utf8)
        let sent = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(descriptor, bytes, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        try #require(sent == bytes.count, "sendto \(host):\(port): errno \(errno)")
    }

    /// The next datagram with its source address and port; nil after the timeout.
    func receive() -> (String, String, UInt16)? {
        var buffer = [UInt8](repeating: 0, count: 1500)
        var source = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let count = withUnsafeMutablePointer(to: &source) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(descriptor, &buffer, buffer.count, 0, $0, &length) }
        }
        guard count > 0 else { return nil }
        var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
        inet_ntop(AF_INET, &source.sin_addr, &text, socklen_t(text.count))
        let host = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return (String(decoding: buffer[0..<count], as: UTF8.self), host, UInt16(bigEndian: source.sin_port))
    }

    func close() { _ = Glibc.close(descriptor) }

    private static func address(_ host: String, _ port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        inet_pton(AF_INET, host, &address.sin_addr)
        return address
    }
}
