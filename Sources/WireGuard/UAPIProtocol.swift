import Netlink

/// The text protocol every userspace WireGuard implementation serves on its UNIX socket
/// (wireguard.com/xplatform): `get=1` and `set=1` requests of `key=value` lines ended by an empty
/// line, answered with `errno=N`. Keys travel as lower-case hex.
///
/// Pure functions on bytes, so requests and answers are checked in unit tests without a daemon.
enum UAPIProtocol {
    static let getRequest = Array("get=1\n\n".utf8)

    /// Renders a whole configuration as one `set=1` transaction, whatever the number of peers.
    static func setRequest(_ configuration: DeviceConfiguration) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64 + configuration.peers.count * 128)
        func line(_ key: String, _ value: String) {
            out += key.utf8
            out.append(UInt8(ascii: "="))
            out += value.utf8
            out.append(UInt8(ascii: "\n"))
        }
        line("set", "1")
        if let key = configuration.privateKey { line("private_key", key.material.hex) }
        if let port = configuration.listenPort { line("listen_port", String(port)) }
        if let mark = configuration.firewallMark { line("fwmark", String(mark)) }
        if configuration.replacePeers { line("replace_peers", "true") }
        for peer in configuration.peers {
            line("public_key", peer.publicKey.material.hex)
            if peer.remove {
                line("remove", "true")
                continue
            }
            // Must directly follow public_key: the implementation decides on seeing it whether the
            // keys after it create a peer or only update an existing one.
            if peer.updateOnly { line("update_only", "true") }
            if let key = peer.presharedKey { line("preshared_key", key.material.hex) }
            if let endpoint = peer.endpoint { line("endpoint", endpoint.description) }
            if let interval = peer.persistentKeepaliveInterval { line("persistent_keepalive_interval", String(interval)) }
            if peer.replaceAllowedIPs { line("replace_allowed_ips", "true") }
            for network in peer.allowedIPs { line("allowed_ip", network.network.description) }
        }
        out.append(UInt8(ascii: "\n"))
        return out
    }

    /// Reads the `errno=N` answer to a `set=1`; returns N.
    static func parseErrno(_ answer: [UInt8], device: String, operation: String) throws(WireGuardError) -> Int32 {
        var code: Int32?
        for (key, value) in Lines(answer) {
            if key.elementsEqual("errno".utf8) { code = Int32(Substring(decoding: value, as: UTF8.self)) }
        }
        guard let code else {
            throw .malformedAnswer(device: device, operation: operation, reason: "no errno line")
        }
        return abs(code)
    }

    /// Decodes the answer to `get=1` into a device named `device`. Keys this version does not
    /// know are skipped, so a newer implementation's extra fields do not break reading.
    static func parseDevice(_ answer: [UInt8], device name: String) throws(WireGuardError) -> Device {
        let operation = "read"
        var device = Device(name: name)
        var peer: Peer?
        var handshakeSeconds: Int64 = 0, handshakeNanoseconds: Int64 = 0
        var code: Int32?

        func fail(_ reason: String) -> WireGuardError { .malformedAnswer(device: name, operation: operation, reason: reason) }
        func finishPeer() {
            guard var finished = peer else { return }
            if handshakeSeconds != 0 || handshakeNanoseconds != 0 {
                finished.lastHandshake = .seconds(handshakeSeconds) + .nanoseconds(handshakeNanoseconds)
            }
            device.peers.append(finished)
            peer = nil
            handshakeSeconds = 0
            handshakeNanoseconds = 0
        }

        for (keyBytes, valueBytes) in Lines(answer) {
            let key = String(decoding: keyBytes, as: UTF8.self)
            func text() -> String { String(decoding: valueBytes, as: UTF8.self) }
            func number<T: FixedWidthInteger>(_: T.Type) throws(WireGuardError) -> T {
                guard let value = T(text()) else { throw fail("\(key)=\(text()) is not a number") }
                return value
            }
            func keyMaterial() throws(WireGuardError) -> KeyMaterial {
                guard let material = KeyMaterial(hex: valueBytes) else { throw fail("\(key) is not 64 hex digits") }
                return material
            }
            // Peer fields mutate `peer` in place (`peer!.…`), so a peer with many allowed IPs is
            // not copied once per line.
            func requirePeer() throws(WireGuardError) {
                guard peer != nil else { throw fail("\(key) before any public_key") }
            }

            switch key {
            case "errno":
                code = abs(try number(Int32.self))
            case "private_key":
                let material = try keyMaterial()
                if !material.isZero {
                    device.privateKey = PrivateKey(material: material)
                    device.publicKey = device.privateKey?.publicKey
                }
            case "listen_port":
                device.listenPort = try number(UInt16.self)
            case "fwmark":
                device.firewallMark = try number(UInt32.self)
            case "public_key":
                finishPeer()
                peer = Peer(publicKey: PublicKey(material: try keyMaterial()))
            case "preshared_key":
                try requirePeer()
                let material = try keyMaterial()
                peer!.presharedKey = material.isZero ? nil : PresharedKey(material: material)
            case "endpoint":
                try requirePeer()
                // A link-local IPv6 endpoint carries its zone (`[fe80::1%eth0]:51820`); the zone is
                // meaningful only to the implementation, so it is dropped here.
                var value = text()
                if let percent = value.firstIndex(of: "%"), let close = value.firstIndex(of: "]"), percent < close {
                    value.removeSubrange(percent..<close)
                }
                guard let endpoint = Endpoint(value) else { throw fail("endpoint=\(value) is not address:port") }
                peer!.endpoint = endpoint
            case "persistent_keepalive_interval":
                try requirePeer()
                peer!.persistentKeepaliveInterval = try number(UInt16.self)
            case "last_handshake_time_sec":
                try requirePeer()
                handshakeSeconds = try number(Int64.self)
            case "last_handshake_time_nsec":
                try requirePeer()
                handshakeNanoseconds = try number(Int64.self)
            case "rx_bytes":
                try requirePeer()
                peer!.receiveBytes = try number(UInt64.self)
            case "tx_bytes":
                try requirePeer()
                peer!.transmitBytes = try number(UInt64.self)
            case "protocol_version":
                try requirePeer()
                peer!.protocolVersion = try number(Int.self)
            case "allowed_ip":
                try requirePeer()
                guard let network = IPNetwork(text()) else { throw fail("allowed_ip=\(text()) is not a CIDR") }
                peer!.allowedIPs.append(network)
            default:
                continue
            }
        }
        finishPeer()
        guard let code else { throw fail("no errno line") }
        guard code == 0 else { throw .uapiRefused(device: name, operation: operation, errno: code) }
        return device
    }
}

/// The `key=value` lines of one UAPI answer, up to the empty line that ends it.
struct Lines: Sequence, IteratorProtocol {
    private let bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func next() -> (key: ArraySlice<UInt8>, value: ArraySlice<UInt8>)? {
        while offset < bytes.count {
            let end = bytes[offset...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
            let line = bytes[offset..<end]
            offset = end + 1
            if line.isEmpty { offset = bytes.count; return nil }
            guard let equals = line.firstIndex(of: UInt8(ascii: "=")) else { continue }
            return (line[..<equals], line[(equals + 1)...])
        }
        return nil
    }
}
