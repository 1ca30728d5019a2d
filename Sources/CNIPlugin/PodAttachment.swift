import Firewall
import Netlink
import WireGuard

/// The steps of one annotated pod's ADD, in upstream-cni §1.4's order. Each change is recorded
/// in the journal as soon as it is made, so a failure at any later step can undo it.
struct PodAttachment {
    let plugin: EgressPlugin
    let request: CNIRequest
    let pod: PodReference
    let gatewayName: String
    let containerID: String
    let temporaryName: String
    let excludedCIDRs: [IPNetwork]
    let namespaces: PodNamespaces
    let journal: RollbackJournal

    private var options: EgressPlugin.Options { plugin.options }
    private var tunnel: String { EgressPlugin.tunnelInterface }

    func run(previous: CNIResult, timer: inout StepTimer) async throws(CNIError) -> CNIResult {
        try createTunnel()
        timer.lap("create \(tunnel) and move it into the pod")
        let addresses = try await allocate()
        timer.lap("IPAM")
        try configureTunnelAddresses(addresses.ipv6)
        timer.lap("IPv6 address on \(tunnel)")
        let (privateKey, listenPort) = try tunnelKey()
        timer.lap("key and listen port")
        let assignment = try await register(publicKey: privateKey.publicKey, listenPort: listenPort, allowedIP: addresses.allowedIP)
        timer.lap("cni-manager nic add")
        try configurePeer(privateKey: privateKey, assignment: assignment)
        timer.lap("gateway peer")
        let plan = try await PodNetworkSetup(namespaces: namespaces, iptables: options.iptables, journal: journal)
            .apply(assignment: assignment, excludedCIDRs: excludedCIDRs, gatewayName: gatewayName, timer: &timer)

        var result = previous
        result.interfaces.append(CNIResult.Interface(name: tunnel, sandbox: namespaces.pod.path))
        let index = result.interfaces.count - 1
        result.ips += addresses.ipv6.map { CNIResult.IPConfig(address: $0, interface: index) }
        result.routes = plan.replacesResultRoutes ? plan.resultRoutes : result.routes + plan.resultRoutes
        return result
    }

    // MARK: wg0

    /// Creates the device under its temporary name in the host namespace (so its UDP socket, and
    /// with the userspace backend the wireguard-go process, stay there), names it by its alias,
    /// moves it into the pod as `wg0` in one request, and sets it up. An existing `wg0` is reused
    /// as upstream does, and then left alone on rollback.
    private func createTunnel() throws(CNIError) {
        do {
            _ = try namespaces.podLinks.link(named: tunnel)
            plugin.logger.info("reusing the existing \(tunnel) in \(namespaces.pod)")
            return
        } catch NetlinkError.notFound {
        } catch {
            throw .failed("look up \(tunnel) in \(namespaces.pod)", error)
        }
        let hostClient = try wireGuardClient(in: namespaces.host)
        let hostLinks = namespaces.hostLinks, podLinks = namespaces.podLinks
        let temporary = temporaryName, tunnel = self.tunnel
        do {
            try hostClient.createDevice(named: temporary)
        } catch NetlinkError.exists {
            throw CNIError(code: .tryAgainLater,
                           message: "link \(temporary) already exists in \(namespaces.host): another ADD for a container starting with \(containerID.prefix(8)) is running, or a failed one left it")
        } catch {
            throw .failed("create WireGuard link \(temporary) in \(namespaces.host)", error)
        }
        journal.record("delete link \(temporary) in \(namespaces.host)") {
            if (try? hostLinks.link(named: temporary)) != nil { try hostLinks.deleteLink(named: temporary) }
        }
        do {
            try hostLinks.setAlias(temporary, temporary)
            try hostLinks.moveLink(temporary, to: namespaces.pod, newName: tunnel)
        } catch {
            throw .failed("move WireGuard link \(temporary) into \(namespaces.pod) as \(tunnel)", error)
        }
        journal.record("delete link \(tunnel) in \(namespaces.pod)") {
            if (try? podLinks.link(named: tunnel)) != nil { try podLinks.deleteLink(named: tunnel) }
        }
        // A TUN device (userspace backend) would give itself a random link-local address when it
        // goes up; a kernel WireGuard device gets none. wg0 is to carry eth0's address only. The
        // setting is missing only where IPv6 is off, which the IPAM step then reports.
        try? namespaces.pod.writeSysctl("net.ipv6.conf.\(tunnel).addr_gen_mode", "1")
        do {
            try podLinks.setLinkUp(tunnel)
        } catch {
            throw .failed("set \(tunnel) up in \(namespaces.pod)", error)
        }
    }

    /// A client of the configured backend; with automatic detection both namespaces get the
    /// same one (the kernel module is machine-wide).
    private func wireGuardClient(in namespace: NetworkNamespace) throws(CNIError) -> WireGuardClient {
        do {
            return try WireGuardClient(namespace: namespace, options: options.wireGuard)
        } catch {
            throw .failed("open WireGuard in \(namespace)", error)
        }
    }

    // MARK: IPAM

    struct PodAddresses {
        /// eth0's link-local address(es), which `wg0` gets too.
        var ipv6: [IPNetwork]
        /// The pod's IPv4 address as a /32.
        var allowedIP: IPNetwork
    }

    private func allocate() async throws(CNIError) -> PodAddresses {
        let ipam = plugin.delegate(for: request.config)
        let allocation = try await ipam.add(request)
        journal.record("IPAM \(request.config.ipamType) DEL") { try await ipam.delete(request) }
        guard !allocation.ips.isEmpty else {
            throw CNIError(code: .internalFailure, message: "IPAM plugin \(request.config.ipamType) returned no addresses")
        }
        guard let ipv4 = allocation.ips.last(where: { $0.address.address.isIPv4 }) else {
            throw CNIError(code: .internalFailure, message: "IPAM plugin \(request.config.ipamType) returned no IPv4 address for the pod")
        }
        return PodAddresses(ipv6: allocation.ips.map(\.address).filter { !$0.address.isIPv4 },
                            allowedIP: IPNetwork(host: ipv4.address.address))
    }

    /// What libcni's `ConfigureIface` does for the IPAM result on `wg0`: IPv6 enabled on `lo` and
    /// `wg0`, addresses kept when the link goes down, the link-local address(es) added.
    private func configureTunnelAddresses(_ addresses: [IPNetwork]) throws(CNIError) {
        let pod = namespaces.pod
        do {
            let loopbackSetting = try pod.readSysctl("net.ipv6.conf.lo.disable_ipv6")
            if loopbackSetting != "0" {
                try pod.writeSysctl("net.ipv6.conf.lo.disable_ipv6", "0")
                journal.record("restore net.ipv6.conf.lo.disable_ipv6=\(loopbackSetting) in \(pod)") {
                    try pod.writeSysctl("net.ipv6.conf.lo.disable_ipv6", loopbackSetting)
                }
            }
            if try pod.readSysctl("net.ipv6.conf.\(tunnel).disable_ipv6") != "0" {
                try pod.writeSysctl("net.ipv6.conf.\(tunnel).disable_ipv6", "0")
            }
            try pod.writeSysctl("net.ipv6.conf.\(tunnel).keep_addr_on_down", "1")
        } catch {
            throw .failed("enable IPv6 on \(tunnel) in \(pod)", error)
        }
        do {
            let index = try namespaces.podLinks.link(named: tunnel).index
            for address in addresses {
                do {
                    // No duplicate-address detection: the address is eth0's, on another link.
                    try namespaces.podLinks.addAddress(Address(linkIndex: index, network: address, flags: .noDAD))
                } catch NetlinkError.exists {
                    // A reused wg0 may have it already.
                }
            }
            try namespaces.podLinks.setLinkUp(tunnel)
        } catch {
            throw .failed("add the IPv6 link-local address to \(tunnel) in \(pod)", error)
        }
    }

    // MARK: Keys, registration, peer

    /// A fresh key (new on every ADD) and the port the device picked when it went up.
    private func tunnelKey() throws(CNIError) -> (PrivateKey, UInt16) {
        do {
            let key = try PrivateKey.generate()
            let device = try wireGuardClient(in: namespaces.pod).device(named: tunnel)
            return (key, device.listenPort)
        } catch let error as CNIError {
            throw error
        } catch {
            throw .failed("read WireGuard device \(tunnel) in \(namespaces.pod)", error)
        }
    }

    private func register(publicKey: PublicKey, listenPort: UInt16, allowedIP: IPNetwork) async throws(CNIError) -> GatewayAssignment {
        let manager = plugin.manager(request.config)
        let registration = NicAddRequest(pod: pod, containerID: containerID, gatewayName: gatewayName,
                                         publicKey: publicKey, listenPort: listenPort, allowedIP: allowedIP)
        let assignment: GatewayAssignment
        do throws(EgressManagerError) {
            assignment = try await manager.nicAdd(registration)
        } catch {
            throw CNIError(code: error.code, message: "failed to register with the cni-manager: \(error)")
        }
        let removal = NicDelRequest(pod: pod, containerID: containerID)
        journal.record("cni-manager nicDel for sandbox \(containerID)") { try await manager.nicDel(removal) }
        return assignment
    }

    /// One peer, the gateway, carrying everything (`0.0.0.0/0`, `::/0`); without keepalive or
    /// preshared key, as upstream. Other peers are replaced, so a reused `wg0` cannot keep an
    /// old gateway that would take the allowed IPs back.
    private func configurePeer(privateKey: PrivateKey, assignment: GatewayAssignment) throws(CNIError) {
        let peer = PeerConfiguration(publicKey: assignment.gatewayPublicKey, endpoint: assignment.endpoint,
                                     replaceAllowedIPs: true,
                                     allowedIPs: [IPNetwork("0.0.0.0/0")!, IPNetwork("::/0")!])
        do {
            try wireGuardClient(in: namespaces.pod)
                .configure(named: tunnel, DeviceConfiguration(privateKey: privateKey, replacePeers: true, peers: [peer]))
        } catch let error as CNIError {
            throw error
        } catch {
            throw .failed("configure WireGuard device \(tunnel) in \(namespaces.pod)", error)
        }
    }
}
