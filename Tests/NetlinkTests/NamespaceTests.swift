import Foundation
import Netlink
import Testing

/// The core under the object API: named namespaces as iproute2 makes them, sysctls inside one,
/// and generic-netlink family lookup on a socket bound to it.
@Suite("Namespaces and generic netlink", .enabled(if: isRoot, "needs root: creates network namespaces"))
struct NamespaceTests {
    @Test func namedNamespaceIsSeenByIPAndRemoved() throws {
        let name = uniqueName("netns")
        let namespace = try NetworkNamespace.create(named: name)
        do {
            defer { try? namespace.delete() }
            let listed = try NetworkNamespace.process.executeChecked("ip", ["-j", "netns", "list"]).stdout
            #expect(listed.contains("\"\(name)\""))
            #expect(try NetworkNamespace.named(name) == namespace)
            #expect(netlinkError { _ = try NetworkNamespace.create(named: name) }?.kind == "exists")
        }
        #expect(!namespace.exists)
        #expect(netlinkError { _ = try NetworkNamespace.named(name) }?.kind == "notFound")
    }

    @Test func namespaceAtAChosenPathIsUsableAndRemoved() throws {
        let directory = "/tmp/\(uniqueName("nsdir"))"
        #expect(mkdir(directory, 0o755) == 0)
        defer { rmdir(directory) }
        let namespace = try NetworkNamespace.create(atPath: "\(directory)/pod")
        do {
            defer { try? namespace.delete() }
            #expect(namespace.name == nil)
            let loopback = try NetlinkHandle(namespace: namespace).link(named: "lo")
            #expect(loopback.index > 0)
            #expect(netlinkError { _ = try NetworkNamespace.create(atPath: "\(directory)/pod") }?.kind == "exists")
        }
        #expect(!namespace.exists)
    }

    @Test func sysctlsAndGenericNetlinkInsideANamespace() throws {
        try withNamespace("genl") { ns in
            let socket = try NetlinkSocket.open(protocol: NetlinkSocket.generic, in: ns)
            #expect(try GenericNetlink.resolve("nlctrl", on: socket).id == 0x10)
            #expect(netlinkError { _ = try GenericNetlink.resolve("wireguard", on: socket) }?.kind == "notFound")
            #expect(try ns.readSysctl("net.ipv4.ip_forward") == "0")
            try ns.writeSysctl("net.ipv4.ip_forward", "1")
            #expect(try ns.readSysctl("net.ipv4.ip_forward") == "1")
            #expect(try NetworkNamespace.process.readSysctl("net.ipv4.ip_forward") != "" )
        }
    }
}
