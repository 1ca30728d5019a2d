import Netlink
#if canImport(Glibc)
import Glibc
#endif

/// Drives userspace implementations (wireguard-go, boringtun) through the cross-platform UAPI:
/// one UNIX socket per device, `<socket directory>/<creation name>.sock`.
///
/// The socket path belongs to the mount namespace and keeps the name the device was created
/// under, while the interface may since have been moved to another network namespace and renamed
/// (the pod-side `wg0` flow). A device is therefore looked up through its link in this backend's
/// namespace: the link must exist here, and its socket is `<alias>.sock` when the alias names a
/// live socket (the flow records the creation name there), else `<name>.sock`. The alias is tried
/// first because every pod's interface is called `wg0`, so a `wg0.sock` made by anyone else in the
/// same mount namespace must not be mistaken for this one.
final class UserspaceBackend: WireGuardBackend {
    let namespace: NetworkNamespace
    let links: NetlinkHandle
    let executable: String
    let socketDirectory: String
    let creationTimeout: Duration

    var kind: WireGuardBackendKind { .userspace(executable: executable) }

    init(namespace: NetworkNamespace, links: NetlinkHandle, options: WireGuardOptions) {
        self.namespace = namespace
        self.links = links
        self.executable = options.userspaceExecutable
        self.socketDirectory = options.socketDirectory
        self.creationTimeout = options.creationTimeout
    }

    func device(named name: String) throws -> Device {
        let socket = try uapiSocket(for: name)
        return try UAPIProtocol.parseDevice(try socket.exchange(UAPIProtocol.getRequest, operation: "read"), device: name)
    }

    func configure(named name: String, _ configuration: DeviceConfiguration) throws {
        let socket = try uapiSocket(for: name)
        let answer = try socket.exchange(UAPIProtocol.setRequest(configuration), operation: "configure")
        let code = try UAPIProtocol.parseErrno(answer, device: name, operation: "configure")
        guard code == 0 else { throw WireGuardError.uapiRefused(device: name, operation: "configure", errno: code) }
    }

    /// Starts the implementation inside this backend's namespace (so its UDP socket lives here)
    /// and waits until its UAPI socket answers. The implementation daemonizes and keeps running
    /// after this process exits; deleting the interface stops it.
    func createDevice(named name: String) throws {
        try DeviceName.validate(name)
        let operation = "create WireGuard device \"\(name)\" in \(namespace)"
        if (try? links.link(named: name)) != nil { throw NetlinkError.exists(operation: operation) }
        guard let path = BackendDetection.findExecutable(executable) else {
            throw WireGuardError.userspaceImplementationNotFound(device: name, executable: executable)
        }
        let output: CommandOutput
        do {
            output = try namespace.execute(path, [name], environment: Self.daemonEnvironment, newSession: true)
        } catch CommandError.executableNotFound {
            throw WireGuardError.userspaceImplementationNotFound(device: name, executable: executable)
        } catch let error as CommandError {
            throw WireGuardError.userspaceStartFailed(device: name, executable: path, detail: error.description)
        }
        // A failed start leaves no interface: wireguard-go's TUN is not persistent and goes when
        // the process exits. Nothing is deleted here, so a concurrent creator's link is safe.
        guard output.exitCode == 0 else {
            let detail = "exited \(output.exitCode)" + (output.stderr.isEmpty ? "" : ": " + Self.errorLine(of: output.stderr))
            throw WireGuardError.userspaceStartFailed(device: name, executable: path, detail: detail)
        }

        // The socket file appears (and even accepts connections) before the forked daemon has
        // finished starting: wireguard-go's parent opens it. Only an answered `get=1` shows the
        // daemon is up; moving the interface away before that makes the daemon fail its start.
        let socketPath = self.socketPath(name)
        let clock = ContinuousClock()
        let deadline = clock.now + creationTimeout
        while true {
            let remaining = deadline - clock.now
            guard remaining > .zero else {
                removeInterface(name)
                throw WireGuardError.socketTimeout(device: name, path: socketPath, waitedMilliseconds: Self.milliseconds(creationTimeout))
            }
            let probe = UAPISocket(path: socketPath, device: name, timeout: remaining)
            if let answer = try? probe.exchange(UAPIProtocol.getRequest, operation: "start"),
               (try? UAPIProtocol.parseErrno(answer, device: name, operation: "start")) == 0,
               (try? links.link(named: name)) != nil {
                return
            }
            usleep(5_000)
        }
    }

    /// Deletes the interface; the implementation notices, removes its socket and exits. Waits
    /// (bounded) for the socket to go so a following create of the same name does not collide.
    func deleteDevice(named name: String) throws {
        let socket = try uapiSocket(for: name)
        try links.deleteLink(named: name)
        let clock = ContinuousClock()
        let deadline = clock.now + creationTimeout
        while access(socket.path, F_OK) == 0, clock.now < deadline { usleep(5_000) }
    }

    // MARK: Helpers

    func socketPath(_ creationName: String) -> String { "\(socketDirectory)/\(creationName).sock" }

    /// The socket of the device whose interface is called `name` in this namespace.
    func uapiSocket(for name: String) throws -> UAPISocket {
        try DeviceName.validate(name)
        let link: Link
        do {
            link = try links.link(named: name)
        } catch NetlinkError.notFound {
            throw WireGuardError.deviceNotFound(device: name, namespace: namespace.description)
        }
        if let alias = link.alias, (try? DeviceName.validate(alias)) != nil, UAPISocket.isServing(socketPath(alias)) {
            return UAPISocket(path: socketPath(alias), device: name)
        }
        guard UAPISocket.isServing(socketPath(name)) else {
            throw WireGuardError.deviceNotFound(device: name, namespace: namespace.description)
        }
        return UAPISocket(path: socketPath(name), device: name)
    }

    /// Only `PATH` is passed on. wireguard-go hands its own stdout/stderr to the daemon it forks
    /// when `LOG_LEVEL` is set, which would keep our capture pipes open for the daemon's whole life
    /// (and `execute` waiting for it); `WG_PROCESS_FOREGROUND` would stop it from forking at all.
    static var daemonEnvironment: [String: String] { ["PATH": BackendDetection.searchPath] }

    static func milliseconds(_ duration: Duration) -> Int {
        let parts = duration.components
        return Int(parts.seconds) * 1000 + Int(parts.attoseconds / 1_000_000_000_000_000)
    }

    /// Removes the interface of a daemon that started (exit 0) but never answered; deleting it
    /// makes the daemon exit.
    private func removeInterface(_ name: String) {
        if (try? links.link(named: name)) != nil { try? links.deleteLink(named: name) }
    }

    /// wireguard-go prints a banner before its `ERROR: (name) date time message` line; keep the message.
    static func errorLine(of text: String) -> String {
        let lines = text.split(separator: "\n")
        guard let line = lines.first(where: { $0.hasPrefix("ERROR") }) ?? lines.last else { return text }
        return String(line)
    }
}
