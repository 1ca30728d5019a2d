import Foundation
import GatewayDaemon
import Netlink
import Testing
import WireGuard

@Suite("Reaping the userspace WireGuard implementations (root, wireguard-go)",
       .enabled(if: Host.isRoot, "needs root"),
       .enabled(if: Host.isUserspace, "the kernel has WireGuard: no userspace implementation is started"),
       .timeLimit(.minutes(1)))
struct UserspaceImplementationsTests {
    /// wireguard-go forks its daemon and exits; as a subreaper the test process inherits the
    /// daemon, which is found, reaped when its link goes, and stopped by `stopAll`, leaving no
    /// process and no zombie behind.
    @Test func adoptsReapsAndStops() async throws {
        try UserspaceImplementations.becomeSubreaper()
        #expect(UserspaceImplementations.isSubreaper)
        let topology = try TestNode("reap")
        defer { #expect(topology.teardown(), "a wireguard-go process outlived its link") }
        try topology.addSecondaryIP(IPAddress("10.0.0.6")!)
        let first = try topology.configuration(uid: "reap-1", secondaryIP: IPAddress("10.0.0.6")!)
        let second = try topology.configuration(uid: "reap-2", secondaryIP: IPAddress("10.0.0.6")!)
        let dataPath = GatewayDataPath(node: try topology.gatewayNode())
        let implementations = UserspaceImplementations(executable: "wireguard-go")
        let created = try await dataPath.apply(first).createdLinks + (try await dataPath.apply(second).createdLinks)
        let pids = implementations.adopt(devices: created)
        #expect(pids.count == 2)
        #expect(Set(implementations.processes.values) == [first.linkName, second.linkName])
        #expect(implementations.adopt(devices: created).isEmpty, "adopted once")

        // The cleanup deletes the first link: its implementation exits and is reaped.
        _ = await dataPath.cleanup(active: [second.active])
        try await eventually { implementations.processes.values.sorted() == [second.linkName] }
        await implementations.stopAll()
        #expect(implementations.processes.isEmpty)
        for pid in pids { #expect(kill(pid, 0) != 0, "process \(pid) is gone, zombie included") }
        #expect(try shownLink(topology.gateway, second.linkName) == nil, "its link went with it")
    }
}
