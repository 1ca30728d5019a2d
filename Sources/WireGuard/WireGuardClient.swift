import Netlink

/// The one WireGuard device API, in the manner of wgctrl-go: read, configure, create and delete
/// devices in one network namespace, whatever implementation the host has.
///
/// The backend is chosen when the client is made (``WireGuardOptions/backend``): the kernel when
/// it has WireGuard, else a userspace implementation such as wireguard-go. Every call blocks
/// briefly on the kernel or the implementation's socket; creating a userspace device waits for the
/// implementation to start (bounded by ``WireGuardOptions/creationTimeout``).
public struct WireGuardClient: Sendable {
    /// Where devices are looked up and created.
    public let namespace: NetworkNamespace
    public let backend: any WireGuardBackend

    /// A client for `namespace` with the backend `options` ask for. Throws
    /// ``WireGuardError/backendUnavailable(_:)`` when that backend (or, for `.automatic`, any) is
    /// missing on this host.
    public init(namespace: NetworkNamespace = .process, options: WireGuardOptions = WireGuardOptions()) throws {
        let links = try NetlinkHandle(namespace: namespace)
        switch options.backend {
        case .kernel:
            do {
                backend = try KernelBackend(namespace: namespace, links: links)
            } catch let error as NetlinkError {
                throw WireGuardError.backendUnavailable("the kernel backend was requested but the kernel has no WireGuard (\(error))")
            }
        case .userspace:
            backend = UserspaceBackend(namespace: namespace, links: links, options: options)
        case .automatic:
            if let kernel = try? KernelBackend(namespace: namespace, links: links) {
                backend = kernel
            } else if BackendDetection.findExecutable(options.userspaceExecutable) != nil {
                backend = UserspaceBackend(namespace: namespace, links: links, options: options)
            } else {
                throw WireGuardError.backendUnavailable(
                    "the kernel has no WireGuard (generic netlink family \"wireguard\" not found) and the userspace "
                        + "implementation \"\(options.userspaceExecutable)\" is not installed")
            }
        }
        self.namespace = namespace
    }

    /// A client driving `backend`, e.g. a test double.
    public init(namespace: NetworkNamespace, backend: any WireGuardBackend) {
        self.namespace = namespace
        self.backend = backend
    }

    public var backendKind: WireGuardBackendKind { backend.kind }

    /// The device called `name` with all its peers.
    public func device(named name: String) throws -> Device { try backend.device(named: name) }

    /// Applies `configuration` to the device called `name` in one batched operation.
    public func configure(named name: String, _ configuration: DeviceConfiguration) throws {
        try backend.configure(named: name, configuration)
    }

    /// Creates a WireGuard interface called `name`, down, without key or peers. Its encrypted UDP
    /// traffic stays in this client's namespace even if the interface is later moved elsewhere.
    public func createDevice(named name: String) throws { try backend.createDevice(named: name) }

    /// Deletes the WireGuard interface called `name`.
    public func deleteDevice(named name: String) throws { try backend.deleteDevice(named: name) }
}
