import Netlink
import Synchronization
import Testing
@testable import WireGuard
#if canImport(Glibc)
import Glibc
#endif

/// Conditions and unique names for the tests that need root and real namespaces.
enum Host {
    static let isRoot = getuid() == 0
    static let hasWireGuardGo = BackendDetection.findExecutable("wireguard-go") != nil
    static let hasKernelWireGuard = (try? BackendDetection.kernelFamily()) != nil

    private static let counter = Atomic<Int>(0)

    static func next() -> Int { counter.add(1, ordering: .relaxed).newValue }

    /// A namespace name unique to this process and call.
    static func namespaceName(_ tag: String) -> String { "egw-wg-\(tag)-\(getpid())-\(next())" }

    /// A device name unique on the machine (UAPI sockets share one directory), at most 15 bytes.
    static func deviceName() -> String { "wgt\(getpid() % 10_000_000)x\(next())" }
}

/// A network namespace made for one test and removed when the test ends.
struct ScratchNamespace {
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

    func run(_ executable: String, _ arguments: [String]) throws -> CommandOutput {
        try namespace.execute(executable, arguments)
    }

    func address(_ link: String, _ cidr: String) throws {
        let index = try links.link(named: link).index
        try links.addAddress(Address(linkIndex: index, network: IPNetwork(cidr)!))
    }

    /// `ping -c 1 -W 2`, tried a few times: the first packet also waits for the WireGuard handshake.
    func ping(_ target: String) throws -> Bool {
        for _ in 0..<3 where try run("ping", ["-c", "1", "-W", "2", target]).exitCode == 0 { return true }
        return false
    }
}

/// True once no wireguard-go process serves `device`; polls (bounded) because the daemon exits
/// asynchronously after its interface is deleted. Zombies do not count: their command line is gone.
func noUserspaceProcess(for device: String) throws -> Bool {
    for _ in 0..<200 {
        let output = try NetworkNamespace.process.execute("pgrep", ["-f", "wireguard-go \(device)$"])
        if output.exitCode == 1 { return true }
        usleep(25_000)
    }
    return false
}

/// `wg show <device> dump`, run inside a namespace: the independent reader of a device.
struct WGDump {
    struct PeerLine: Equatable {
        var publicKey: String
        var presharedKey: String?
        var endpoint: String?
        var allowedIPs: Set<String>
        var persistentKeepalive: Int
    }
    var privateKey: String
    var publicKey: String
    var listenPort: Int
    var firewallMark: Int
    var peers: [String: PeerLine]

    init(_ text: String) throws {
        let lines = text.split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
        let header = try #require(lines.first)
        try #require(header.count == 4, "unexpected wg dump header \(header)")
        privateKey = header[0]
        publicKey = header[1]
        listenPort = Int(header[2]) ?? -1
        firewallMark = header[3] == "off" ? 0 : header[3].hasPrefix("0x") ? Int(header[3].dropFirst(2), radix: 16) ?? -1 : Int(header[3]) ?? -1
        peers = [:]
        for fields in lines.dropFirst() {
            try #require(fields.count == 8, "unexpected wg dump peer line \(fields)")
            peers[fields[0]] = PeerLine(
                publicKey: fields[0],
                presharedKey: fields[1] == "(none)" ? nil : fields[1],
                endpoint: fields[2] == "(none)" ? nil : fields[2],
                allowedIPs: fields[3] == "(none)" ? [] : Set(fields[3].split(separator: ",").map(String.init)),
                persistentKeepalive: fields[7] == "off" ? 0 : Int(fields[7]) ?? -1)
        }
    }

    /// Runs `wg show <name> dump` in `namespace`.
    static func read(_ name: String, in namespace: NetworkNamespace) throws -> WGDump {
        try WGDump(namespace.executeChecked("wg", ["show", name, "dump"]).stdout)
    }

    /// Expects the library's read-back to say the same as wg(8).
    func expectAgrees(with device: Device, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(device.privateKey?.base64 == privateKey, sourceLocation: sourceLocation)
        #expect(device.publicKey?.base64 == publicKey, sourceLocation: sourceLocation)
        #expect(Int(device.listenPort) == listenPort, sourceLocation: sourceLocation)
        #expect(Int(device.firewallMark) == firewallMark, sourceLocation: sourceLocation)
        let ours = Dictionary(uniqueKeysWithValues: device.peers.map { peer in
            (peer.publicKey.base64, PeerLine(publicKey: peer.publicKey.base64, presharedKey: peer.presharedKey?.base64,
                                             endpoint: peer.endpoint?.description,
                                             allowedIPs: Set(peer.allowedIPs.map(\.description)),
                                             persistentKeepalive: Int(peer.persistentKeepaliveInterval)))
        })
        #expect(ours == peers, sourceLocation: sourceLocation)
    }
}
