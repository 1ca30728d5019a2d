import Netlink
import Testing
@testable import WireGuard

/// Root integration scenarios, run once per backend (see `DeviceIntegrationTests.swift`). Every
/// device is made and configured only through ``WireGuardClient``; links, addresses and moves go
/// through `NetlinkHandle`; `wg show … dump` and `ping` check the result from outside.
enum DeviceScenarios {
    /// Two namespaces joined by a veth, a device in each, a ping through the tunnel.
    static func tunnel(_ options: WireGuardOptions) throws {
        let left = try ScratchNamespace("left")
        defer { left.remove() }
        let right = try ScratchNamespace("right")
        defer { right.remove() }
        try left.links.addVeth(name: "veth-l", peerName: "veth-r", peerNamespace: right.namespace)
        try left.address("veth-l", "192.168.77.1/24")
        try right.address("veth-r", "192.168.77.2/24")
        try left.links.setLinkUp("veth-l")
        try right.links.setLinkUp("veth-r")

        let leftClient = try WireGuardClient(namespace: left.namespace, options: options)
        let rightClient = try WireGuardClient(namespace: right.namespace, options: options)
        let leftDevice = Host.deviceName(), rightDevice = Host.deviceName()
        try leftClient.createDevice(named: leftDevice)
        defer { try? leftClient.deleteDevice(named: leftDevice) }
        try rightClient.createDevice(named: rightDevice)
        defer { try? rightClient.deleteDevice(named: rightDevice) }

        let fresh = try leftClient.device(named: leftDevice)
        #expect(fresh.privateKey == nil && fresh.peers.isEmpty)

        let leftKey = try PrivateKey.generate(), rightKey = try PrivateKey.generate()
        let psk = try PresharedKey.generate()
        try leftClient.configure(named: leftDevice, DeviceConfiguration(
            privateKey: leftKey, listenPort: 51820, firewallMark: 0x2222, replacePeers: true,
            peers: [PeerConfiguration(publicKey: rightKey.publicKey, presharedKey: psk, endpoint: Endpoint("192.168.77.2:51821"),
                                      replaceAllowedIPs: true,
                                      allowedIPs: [IPNetwork("10.99.0.2/32")!, IPNetwork("fd99::2/128")!])]))
        try rightClient.configure(named: rightDevice, DeviceConfiguration(
            privateKey: rightKey, listenPort: 51821,
            // Keepalive only on the side without an endpoint: it starts once the peer has been heard
            // from. On the other side it would send a handshake the moment the device goes up,
            // possibly before the right daemon has bound its port, and wait 5 s to retry.
            peers: [PeerConfiguration(publicKey: leftKey.publicKey, presharedKey: psk, persistentKeepaliveInterval: 25,
                                      allowedIPs: [IPNetwork("10.99.0.1/32")!])]))
        try left.address(leftDevice, "10.99.0.1/24")
        try right.address(rightDevice, "10.99.0.2/24")
        try left.links.setLinkUp(leftDevice)
        try right.links.setLinkUp(rightDevice)

        #expect(try left.ping("10.99.0.2"), "ping through the tunnel")

        let leftState = try leftClient.device(named: leftDevice)
        let rightState = try rightClient.device(named: rightDevice)
        try WGDump.read(leftDevice, in: left.namespace).expectAgrees(with: leftState)
        try WGDump.read(rightDevice, in: right.namespace).expectAgrees(with: rightState)
        #expect(leftState.privateKey == leftKey)
        #expect(leftState.publicKey == leftKey.publicKey)
        #expect(leftState.listenPort == 51820 && leftState.firewallMark == 0x2222)
        let peer = try #require(leftState.peers.first)
        #expect(leftState.peers.count == 1)
        #expect(peer.publicKey == rightKey.publicKey && peer.presharedKey == psk)
        #expect(peer.endpoint == Endpoint("192.168.77.2:51821"))
        #expect(peer.persistentKeepaliveInterval == 0)
        #expect(Set(peer.allowedIPs) == [IPNetwork("10.99.0.2/32")!, IPNetwork("fd99::2/128")!])
        #expect(peer.lastHandshake != nil && peer.transmitBytes > 0 && peer.receiveBytes > 0)
        // The right side never had an endpoint: it learnt the left one from the handshake.
        #expect(rightState.peers.first?.endpoint == Endpoint("192.168.77.1:51820"))
        #expect(rightState.peers.first?.persistentKeepaliveInterval == 25)

        try leftClient.deleteDevice(named: leftDevice)
        try rightClient.deleteDevice(named: rightDevice)
        #expect(throws: WireGuardError.deviceNotFound(device: leftDevice, namespace: left.namespace.description)) {
            try leftClient.device(named: leftDevice)
        }
        #expect(try left.links.links().map(\.name).sorted() == ["lo", "veth-l"])
        #expect(try noUserspaceProcess(for: leftDevice) && noUserspaceProcess(for: rightDevice))
    }

    /// The pod-side flow of upstream-cni §1.4: the device is created under a temporary name in a
    /// "node" namespace, moved into a "pod" namespace, given its creation name as alias and renamed
    /// to `wg0`. Its encrypted traffic still leaves from the node namespace.
    static func moveAndRename(_ options: WireGuardOptions) throws {
        let node = try ScratchNamespace("node")
        defer { node.remove() }
        let pod = try ScratchNamespace("pod")
        defer { pod.remove() }
        let gateway = try ScratchNamespace("gw")
        defer { gateway.remove() }
        try node.links.addVeth(name: "eth-node", peerName: "eth-gw", peerNamespace: gateway.namespace)
        try node.address("eth-node", "192.168.78.1/24")
        try gateway.address("eth-gw", "192.168.78.2/24")
        try node.links.setLinkUp("eth-node")
        try gateway.links.setLinkUp("eth-gw")

        let nodeClient = try WireGuardClient(namespace: node.namespace, options: options)
        let podClient = try WireGuardClient(namespace: pod.namespace, options: options)
        let gatewayClient = try WireGuardClient(namespace: gateway.namespace, options: options)
        let temporary = Host.deviceName(), gatewayDevice = Host.deviceName()

        try nodeClient.createDevice(named: temporary)
        try node.links.moveLink(temporary, to: pod.namespace)
        defer { try? podClient.deleteDevice(named: "wg0") }
        try pod.links.setLinkDown(temporary)
        try pod.links.setAlias(temporary, temporary)
        try pod.links.renameLink(temporary, to: "wg0")
        try pod.links.setLinkUp("wg0")
        try gatewayClient.createDevice(named: gatewayDevice)
        defer { try? gatewayClient.deleteDevice(named: gatewayDevice) }

        // The device now belongs to the pod namespace only.
        #expect(throws: WireGuardError.deviceNotFound(device: temporary, namespace: node.namespace.description)) {
            try nodeClient.device(named: temporary)
        }

        let podKey = try PrivateKey.generate(), gatewayKey = try PrivateKey.generate()
        try gatewayClient.configure(named: gatewayDevice, DeviceConfiguration(
            privateKey: gatewayKey, listenPort: 6000,
            peers: [PeerConfiguration(publicKey: podKey.publicKey, replaceAllowedIPs: true, allowedIPs: [IPNetwork("10.98.0.1/32")!])]))
        try podClient.configure(named: "wg0", DeviceConfiguration(
            privateKey: podKey,
            peers: [PeerConfiguration(publicKey: gatewayKey.publicKey, endpoint: Endpoint("192.168.78.2:6000"),
                                      allowedIPs: [IPNetwork("0.0.0.0/0")!, IPNetwork("::/0")!])]))
        try pod.address("wg0", "10.98.0.1/24")
        try gateway.address(gatewayDevice, "10.98.0.2/24")
        try gateway.links.setLinkUp(gatewayDevice)

        #expect(try pod.ping("10.98.0.2"), "ping from the pod namespace through the moved device")

        let podState = try podClient.device(named: "wg0")
        #expect(podState.privateKey == podKey)
        #expect(podState.peers.map(\.publicKey) == [gatewayKey.publicKey])
        #expect(podState.peers.first?.lastHandshake != nil)
        // wg(8) finds a userspace device by its socket, i.e. by its creation name; a kernel device
        // by its current name inside the namespace.
        let independentName = podClient.backendKind == .kernel ? "wg0" : temporary
        try WGDump.read(independentName, in: pod.namespace).expectAgrees(with: podState)
        // The gateway saw the pod's packets arrive from the node namespace's address.
        #expect(try gatewayClient.device(named: gatewayDevice).peers.first?.endpoint?.address == IPAddress("192.168.78.1"))

        try podClient.deleteDevice(named: "wg0")
        try gatewayClient.deleteDevice(named: gatewayDevice)
        #expect(try pod.links.links().map(\.name) == ["lo"])
        #expect(try noUserspaceProcess(for: temporary) && noUserspaceProcess(for: gatewayDevice))
    }

    /// Peer-level semantics: add, update-only, append vs replace allowed IPs, preshared-key
    /// removal, peer removal and replace-peers, each checked against wg(8).
    static func peerChanges(_ options: WireGuardOptions) throws {
        let scratch = try ScratchNamespace("peers")
        defer { scratch.remove() }
        let client = try WireGuardClient(namespace: scratch.namespace, options: options)
        let name = Host.deviceName()
        try client.createDevice(named: name)
        defer { try? client.deleteDevice(named: name) }

        let keys = try (0..<4).map { _ in try PrivateKey.generate().publicKey }
        let psk = try PresharedKey.generate()
        try client.configure(named: name, DeviceConfiguration(privateKey: try PrivateKey.generate(), listenPort: 41000, peers: [
            PeerConfiguration(publicKey: keys[0], presharedKey: psk, allowedIPs: [IPNetwork("10.0.0.1/32")!]),
            PeerConfiguration(publicKey: keys[1], endpoint: Endpoint("[2001:db8::7]:9000"), allowedIPs: [IPNetwork("10.0.0.2/32")!]),
            PeerConfiguration(publicKey: keys[2], updateOnly: true, allowedIPs: [IPNetwork("10.0.0.3/32")!]),
        ]))
        var device = try client.device(named: name)
        // Peer order is the implementation's (wireguard-go answers in map order), so compare by key.
        #expect(Set(device.peers.map(\.publicKey)) == [keys[0], keys[1]], "update-only must not create a peer")
        try WGDump.read(name, in: scratch.namespace).expectAgrees(with: device)

        try client.configure(named: name, DeviceConfiguration(peers: [
            PeerConfiguration(publicKey: keys[0], presharedKey: PresharedKey.none, allowedIPs: [IPNetwork("10.1.0.0/16")!]),
            PeerConfiguration(publicKey: keys[1], updateOnly: true, persistentKeepaliveInterval: 10, replaceAllowedIPs: true,
                              allowedIPs: [IPNetwork("10.2.0.0/16")!]),
        ]))
        device = try client.device(named: name)
        let first = try #require(device.peers.first { $0.publicKey == keys[0] })
        let second = try #require(device.peers.first { $0.publicKey == keys[1] })
        #expect(first.presharedKey == nil)
        #expect(Set(first.allowedIPs) == [IPNetwork("10.0.0.1/32")!, IPNetwork("10.1.0.0/16")!])
        #expect(second.allowedIPs == [IPNetwork("10.2.0.0/16")!])
        #expect(second.persistentKeepaliveInterval == 10)
        #expect(second.endpoint == Endpoint("[2001:db8::7]:9000"))
        try WGDump.read(name, in: scratch.namespace).expectAgrees(with: device)

        try client.configure(named: name, DeviceConfiguration(peers: [.removing(keys[0])]))
        #expect(try client.device(named: name).peers.map(\.publicKey) == [keys[1]])

        try client.configure(named: name, DeviceConfiguration(replacePeers: true, peers: [
            PeerConfiguration(publicKey: keys[3], allowedIPs: [IPNetwork("10.3.0.0/24")!]),
        ]))
        device = try client.device(named: name)
        #expect(device.peers.map(\.publicKey) == [keys[3]])
        #expect(device.listenPort == 41000, "device fields not in the configuration stay as they are")
        try WGDump.read(name, in: scratch.namespace).expectAgrees(with: device)

        try client.deleteDevice(named: name)
        #expect(try noUserspaceProcess(for: name))
    }
}
