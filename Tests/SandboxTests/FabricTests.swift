import Foundation
import Logging
import Netlink
import Testing
@testable import Sandbox
#if canImport(Glibc)
import Glibc
#endif

/// The fabric on real namespaces: secondary-IP delivery, public-IP NAT, the load balancer.
@Suite("Fabric", .serialized, .enabled(if: SandboxTestSupport.isRoot, SandboxTestSupport.rootMessage))
struct FabricTests {
    let secondary = IPAddress("10.224.1.100")!
    let publicIP = IPAddress("20.1.2.3")!

    @Test("a secondary IP reaches the Internet as its public IP (public mode) or as itself (private mode), and applying again changes nothing")
    func secondaryIPAndPublicNAT() async throws {
        try await SandboxTestSupport.withTopology(workers: 1, gateways: 1) { layout in
            let echo = try EchoServer(in: try NetworkNamespace.named(layout.internetNamespace))
            defer { echo.stop() }
            let gateway = layout.gateways[0]
            let gatewayNS = try NetworkNamespace.named(gateway.namespace)
            // What the gateway daemon does with a secondary IP, reduced to a local address.
            let links = try NetlinkHandle(namespace: gatewayNS)
            try links.addAddress(Address(linkIndex: try links.link(named: "lo").index, network: IPNetwork(host: secondary)))
            let controller = try FabricController(layout: layout, logger: Logger(label: "test"))
            defer { Task { await controller.stop() } }

            let delivery = SecondaryIP(address: secondary, node: gateway.primaryIP)
            let publicMode = FabricState(secondaryIPs: [delivery],
                                         publicIPs: [PublicIPAssociation(privateAddress: secondary, publicAddress: publicIP)])
            #expect(try await !controller.update(publicMode).isEmpty)
            #expect(try await controller.update(publicMode).isEmpty)
            let seen = try NamespacedSocket.get(in: gatewayNS, from: secondary, to: SandboxLayout.echoAddress, port: SandboxLayout.echoPort, path: "/")
            #expect(seen.body == "\(publicIP)\n")

            try await controller.update(FabricState(secondaryIPs: [delivery]))
            let privately = try NamespacedSocket.get(in: gatewayNS, from: secondary, to: SandboxLayout.echoAddress, port: SandboxLayout.echoPort, path: "/")
            #expect(privately.body == "\(secondary)\n")
        }
    }

    @Test("the ILB spreads flows over healthy backends with the destination unchanged, and a failing probe takes a backend out")
    func loadBalancerFollowsProbes() async throws {
        try await SandboxTestSupport.withTopology(workers: 1, gateways: 2) { layout in
            let frontend = IPAddress("10.224.0.200")!
            let probe = HealthProbe(port: 8082, path: "/gw/test", intervalSeconds: 1)
            var probeServers: [EchoServer] = []
            var receivers: [Int32] = []
            defer { probeServers.forEach { $0.stop() }; receivers.forEach { close($0) } }
            for gateway in layout.gateways {
                let namespace = try NetworkNamespace.named(gateway.namespace)
                probeServers.append(try EchoServer(in: namespace, address: gateway.primaryIP, port: probe.port))
                // Floating IP: the frontend is local on the backend's eth0, as the gateway daemon puts it.
                let links = try NetlinkHandle(namespace: namespace)
                try links.addAddress(Address(linkIndex: try links.link(named: "eth0").index, network: IPNetwork(host: frontend)))
                receivers.append(try UDP.receiver(in: namespace, address: frontend, port: 6000))
            }
            let controller = try FabricController(layout: layout, logger: Logger(label: "test"))
            defer { Task { await controller.stop() } }
            let rule = LoadBalancerRule(frontend: frontend, port: 6000, backends: layout.gateways.map(\.primaryIP), probe: probe)
            try await controller.update(FabricState(loadBalancerRules: [rule]))
            let targets = Set(layout.gateways.map { ProbeTarget(backend: $0.primaryIP, probe: probe) })
            #expect(try await SandboxTestSupport.eventually { await controller.healthyTargets == targets })

            let worker = try NetworkNamespace.named(layout.workers[0].namespace)
            // Datagrams sent while the worker still resolves the frontend's ARP entry can be
            // dropped from the neighbour queue; one flow first makes the counts exact.
            _ = try UDP.sendFlows(from: worker, to: frontend, port: 6000, count: 1, receivers: receivers)
            let spread = try UDP.sendFlows(from: worker, to: frontend, port: 6000, count: 24, receivers: receivers)
            #expect(spread.allSatisfy { $0 > 0 }, "flows per backend: \(spread)")
            #expect(spread.reduce(0, +) == 24)

            probeServers[1].stop()
            #expect(try await SandboxTestSupport.eventually { await controller.healthyTargets == [ProbeTarget(backend: layout.gateways[0].primaryIP, probe: probe)] })
            let afterFailure = try UDP.sendFlows(from: worker, to: frontend, port: 6000, count: 24, receivers: receivers)
            #expect(afterFailure == [24, 0])
        }
    }
}

/// UDP flows for the load-balancer test: one socket (one source port) per flow.
enum UDP {
    static func receiver(in namespace: NetworkNamespace, address: IPAddress, port: UInt16) throws -> Int32 {
        let fd = try namespace.perform { socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0) }
        var sin = NamespacedSocket.socketAddress(address, port)
        let bound = withUnsafePointer(to: &sin) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw SandboxError.request(target: "udp \(address):\(port)", reason: NamespacedSocket.errnoText()) }
        return fd
    }

    /// Sends one datagram on each of `count` new flows and returns how many each receiver got.
    static func sendFlows(from namespace: NetworkNamespace, to address: IPAddress, port: UInt16, count: Int,
                          receivers: [Int32]) throws -> [Int] {
        for _ in 0..<count {
            let fd = try namespace.perform { socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0) }
            defer { close(fd) }
            var sin = NamespacedSocket.socketAddress(address, port)
            let sent = withUnsafePointer(to: &sin) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, "flow", 4, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard sent == 4 else { throw SandboxError.request(target: "udp \(address):\(port)", reason: NamespacedSocket.errnoText()) }
        }
        var counts = Array(repeating: 0, count: receivers.count)
        var buffer = [UInt8](repeating: 0, count: 64)
        // Datagrams are in flight only within the kernel; wait until all arrived or none comes for a second.
        while counts.reduce(0, +) < count {
            var fds = receivers.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            guard poll(&fds, nfds_t(fds.count), 1000) > 0 else { break }
            for (index, entry) in fds.enumerated() where entry.revents & Int16(POLLIN) != 0 {
                if recv(entry.fd, &buffer, buffer.count, Int32(MSG_DONTWAIT)) > 0 { counts[index] += 1 }
            }
        }
        return counts
    }
}
