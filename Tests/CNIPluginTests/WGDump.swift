import Netlink
import Testing

/// `wg show <device> dump`, run inside a namespace: the independent reader of a device. With the
/// userspace backend the device is found by its creation name (the temporary `wg<8>`).
struct WGDump {
    struct Peer: Equatable {
        var publicKey: String
        var endpoint: String?
        var allowedIPs: Set<String>
        var latestHandshake: Int
        var keepalive: String
    }
    var privateKey: String
    var publicKey: String
    var listenPort: Int
    var peers: [Peer]

    init(_ text: String) throws {
        let lines = text.split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
        let header = try #require(lines.first)
        try #require(header.count == 4, "unexpected wg dump header \(header)")
        privateKey = header[0]
        publicKey = header[1]
        listenPort = Int(header[2]) ?? -1
        peers = try lines.dropFirst().map { fields in
            try #require(fields.count == 8, "unexpected wg dump peer line \(fields)")
            return Peer(publicKey: fields[0], endpoint: fields[2] == "(none)" ? nil : fields[2],
                        allowedIPs: fields[3] == "(none)" ? [] : Set(fields[3].split(separator: ",").map(String.init)),
                        latestHandshake: Int(fields[4]) ?? 0, keepalive: fields[7])
        }
    }

    static func read(_ name: String, in namespace: NetworkNamespace) throws -> WGDump {
        try WGDump(namespace.executeChecked("wg", ["show", name, "dump"]).stdout)
    }
}
