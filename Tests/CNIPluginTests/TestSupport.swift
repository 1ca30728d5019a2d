import Foundation
import Netlink
import Synchronization
import Testing
@testable import CNIPlugin
#if canImport(Glibc)
import Glibc
#endif

/// Conditions and unique names for the tests.
enum Host {
    static let isRoot = getuid() == 0
    static let hasWireGuardGo = access("/usr/bin/wireguard-go", X_OK) == 0
        || (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").contains { access("\($0)/wireguard-go", X_OK) == 0 }
    static let hasReferencePlugins = access("/usr/lib/cni/bridge", X_OK) == 0 && access("/usr/lib/cni/host-local", X_OK) == 0
    /// Root, a WireGuard implementation and Debian's reference plugins: what the chain tests need.
    static let canRunChain = isRoot && hasWireGuardGo && hasReferencePlugins

    private static let counter = Atomic<Int>(0)
    static func next() -> Int { counter.add(1, ordering: .relaxed).newValue }

    /// A namespace name unique to this process and call.
    static func namespaceName(_ tag: String) -> String { "egw-cni-\(tag)-\(getpid())-\(next())" }

    /// A 64-hex-digit container ID whose first 8 digits are random, so the temporary link and the
    /// userspace socket (`/var/run/wireguard/wg<8>.sock`, machine-wide) never collide.
    static func containerID() -> String {
        (0..<64).map { _ in String(UInt8.random(in: 0..<16), radix: 16) }.joined()
    }

    /// A subnet third octet unique within this process.
    static func subnetOctet() -> Int { 1 + (Int(getpid()) * 7 + next()) % 250 }
}

/// A network namespace made for one test and removed when the test ends.
struct Scratch {
    let namespace: NetworkNamespace
    let links: NetlinkHandle

    init(_ tag: String) throws {
        namespace = try NetworkNamespace.create(named: Host.namespaceName(tag))
        do {
            links = try NetlinkHandle(namespace: namespace)
            try links.setLinkUp("lo")
        } catch {
            try? namespace.delete()
            throw error
        }
    }

    func remove() { try? namespace.delete() }

    var path: String { namespace.path }

    @discardableResult
    func run(_ executable: String, _ arguments: [String]) throws -> CommandOutput {
        try namespace.executeChecked(executable, arguments)
    }

    func address(_ link: String, _ cidr: String, flags: AddressFlags = []) throws {
        let index = try links.link(named: link).index
        try links.addAddress(Address(linkIndex: index, network: IPNetwork(cidr)!, flags: flags))
    }

    /// `ip -j <arguments>` run inside the namespace, parsed: the independent reader.
    func ipJSON(_ arguments: [String]) throws -> [[String: Any]] {
        let output = try run("ip", ["-j"] + arguments).stdout
        guard !output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return [] }
        return try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [[String: Any]])
    }

    /// The main-table IPv4 routes as `ip route` prints them, one line each, sorted.
    func routeLines(_ arguments: [String] = []) throws -> [String] {
        try run("ip", ["-4", "route", "show"] + arguments).stdout.split(separator: "\n").map {
            $0.trimmingCharacters(in: .whitespaces)
        }.sorted()
    }

    /// `iptables-save -t mangle` without its comment lines.
    func mangle() throws -> [String] {
        try run("iptables-save", ["-t", "mangle"]).stdout.split(separator: "\n")
            .filter { !$0.hasPrefix("#") }.map(String.init)
    }

    /// A sysctl as a process inside the namespace reads it.
    func sysctl(_ key: String) throws -> String {
        try run("cat", ["/proc/sys/" + key.replacingOccurrences(of: ".", with: "/")]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func linkNames() throws -> [String] { try links.links().map(\.name).sorted() }

    /// `ping -c 1 -W 2`, tried a few times: the first packet also waits for the WireGuard handshake.
    func ping(_ target: String) throws -> Bool {
        for _ in 0..<3 where try namespace.execute("ping", ["-c", "1", "-W", "2", target]).exitCode == 0 { return true }
        return false
    }
}

/// The mangle table of a pod after ADD (upstream-cni §1.6), as iptables-save prints it.
let expectedPodMangle = [
    "*mangle", ":PREROUTING ACCEPT [0:0]", ":INPUT ACCEPT [0:0]", ":FORWARD ACCEPT [0:0]",
    ":OUTPUT ACCEPT [0:0]", ":POSTROUTING ACCEPT [0:0]",
    "-A PREROUTING -i eth0 -j MARK --set-xmark 0x2222/0xffffffff",
    "-A PREROUTING -j CONNMARK --save-mark --nfmask 0xffffffff --ctmask 0xffffffff",
    "-A OUTPUT -m connmark --mark 0x2222 -j CONNMARK --restore-mark --nfmask 0xffffffff --ctmask 0xffffffff",
    "COMMIT",
]

/// True once no wireguard-go process serves `device`; polls (bounded) because the daemon exits
/// asynchronously after its interface is deleted. Zombies do not count.
func noWireGuardGo(for device: String) throws -> Bool {
    for _ in 0..<200 {
        let output = try NetworkNamespace.process.execute("pgrep", ["-f", "wireguard-go \(device)$"])
        if output.exitCode == 1 { return true }
        usleep(25_000)
    }
    return false
}

/// True when a wireguard-go process serves `device` right now.
func wireGuardGoRuns(for device: String) throws -> Bool {
    try NetworkNamespace.process.execute("pgrep", ["-f", "wireguard-go \(device)$"]).exitCode == 0
}

/// A uniquely named directory under the system temporary directory, removed when released.
final class TemporaryDirectory {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "egw-cni-\(getpid())-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// `.build/<triple>/debug/egressgw`: the test bundle (`/proc/self/exe`) lives in the same directory.
enum Binary {
    static let path: String = {
        let bundle = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: bundle).deletingLastPathComponent().appendingPathComponent("egressgw").path
    }()
}

/// JSON text from a literal-like dictionary.
func json(_ object: Any) throws -> [UInt8] {
    Array(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
}

/// A JSON object from text.
func object(_ text: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
}

/// A network from literal text.
func cidr(_ text: String) -> IPNetwork { IPNetwork(text)! }

/// An address from literal text.
func ip(_ text: String) -> IPAddress { IPAddress(text)! }
