import Testing
import Netlink
import Glibc

@Test func smoke() throws {
    let ns = try NetworkNamespace.create(named: "egw-smoke-\(getpid())")
    defer { try? ns.delete() }
    let socket = try NetlinkSocket.open(protocol: NetlinkSocket.generic, in: ns)
    let family = try GenericNetlink.resolve("nlctrl", on: socket)
    #expect(family.id == 0x10)
    #expect(throws: NetlinkError.self) { try GenericNetlink.resolve("wireguard", on: socket) }
    let out = try ns.executeChecked("ip", ["-j", "link"])
    #expect(out.stdout.contains("\"lo\""))
    #expect(try ns.readSysctl("net.ipv4.ip_forward") == "0")
    try ns.writeSysctl("net.ipv4.ip_forward", "1")
    #expect(try ns.readSysctl("net.ipv4.ip_forward") == "1")
}
