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
    /// and waits until its UAPI socket answers. The implementation keeps running after this
    /// process exits; deleting the interface stops it.
    ///
    /// It runs in the foreground (`WG_PROCESS_FOREGROUND=1`), detached by us: wireguard-go's own
    /// daemonizing starts the program twice (the launcher re-executes itself), which costs every
    /// pod a few milliseconds of CPU, and as its parent we learn at once when it fails. Its
    /// standard streams go to `/dev/null`: it outlives us, and writing to a pipe nobody reads
    /// any more would kill it.
    func createDevice(named name: String) throws {
        try DeviceName.validate(name)
        let operation = "create WireGuard device \"\(name)\" in \(namespace)"
        if (try? links.link(named: name)) != nil { throw NetlinkError.exists(operation: operation) }
        guard let path = BackendDetection.findExecutable(executable) else {
            throw WireGuardError.userspaceImplementationNotFound(device: name, executable: executable)
        }
        let process: LaunchedProcess
        do {
            process = try namespace.launch(path, [name], environment: Self.environment)
        } catch CommandError.executableNotFound {
            throw WireGuardError.userspaceImplementationNotFound(device: name, executable: executable)
        } catch let error as CommandError {
            throw WireGuardError.userspaceStartFailed(device: name, executable: path, detail: error.description)
        }

        // The socket file appears (and even accepts connections) before the implementation has
        // finished starting. Only an answered `get=1` shows it is up; moving the interface away
        // before that makes it fail its start. An implementation that daemonizes all the same
        // exits 0 and is followed through its interface: one that was there and went away means
        // the daemon has exited.
        let socketPath = self.socketPath(name)
        let clock = ContinuousClock()
        let deadline = clock.now + creationTimeout
        var sawInterface = false
        while true {
            // A failed start leaves no interface: wireguard-go's TUN is not persistent and goes
            // when the process exits. Nothing is deleted, so a concurrent creator's link is safe.
            if let code = process.exitCode, code != 0 {
                throw startFailure(device: name, executable: path) ?? WireGuardError.userspaceStartFailed(
                    device: name, executable: path,
                    detail: "exited \(code) (its output is not kept; WG_PROCESS_FOREGROUND=1 \(path) \(name) shows why)")
            }
            let remaining = deadline - clock.now
            guard remaining > .zero else {
                if !process.hasExited { kill(process.pid, SIGTERM) }
                removeInterface(name)
                throw startFailure(device: name, executable: path) ?? WireGuardError.socketTimeout(
                    device: name, path: socketPath, waitedMilliseconds: Self.milliseconds(creationTimeout))
            }
            let probe = UAPISocket(path: socketPath, device: name, timeout: remaining)
            let answered = (try? probe.exchange(UAPIProtocol.getRequest, operation: "start"))
                .map { (try? UAPIProtocol.parseErrno($0, device: name, operation: "start")) == 0 } ?? false
            let present = (try? links.link(named: name)) != nil
            if answered && present { return }
            if present {
                sawInterface = true
            } else if sawInterface && process.hasExited {
                throw startFailure(device: name, executable: path) ?? WireGuardError.userspaceStartFailed(
                    device: name, executable: path, detail: "its daemon exited before the UAPI socket \(socketPath) answered")
            }
            usleep(2_000)
        }
    }

    /// The reason a started implementation is gone that can be found from outside: the
    /// per-user inotify limit (see ``InotifyInstances``), which wireguard-go meets silently.
    func startFailure(device: String, executable: String) -> WireGuardError? {
        guard InotifyInstances.exhausted() else { return nil }
        return .inotifyInstancesExhausted(device: device, executable: executable,
                                          limit: InotifyInstances.limit(in: namespace))
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

    /// `PATH`, and the variable that keeps wireguard-go from daemonizing (an implementation that
    /// ignores it still works, see ``createDevice(named:)``).
    static var environment: [String: String] { ["PATH": BackendDetection.searchPath, "WG_PROCESS_FOREGROUND": "1"] }

    static func milliseconds(_ duration: Duration) -> Int {
        let parts = duration.components
        return Int(parts.seconds) * 1000 + Int(parts.attoseconds / 1_000_000_000_000_000)
    }

    /// Removes the interface of an implementation that never answered; deleting it makes the
    /// implementation exit.
    private func removeInterface(_ name: String) {
        if (try? links.link(named: name)) != nil { try? links.deleteLink(named: name) }
    }
}
