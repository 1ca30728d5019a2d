import Netlink

/// Drives the Linux kernel's WireGuard through the generic-netlink family `wireguard`, with a
/// socket opened in (and bound to) the backend's namespace.
final class KernelBackend: WireGuardBackend {
    let namespace: NetworkNamespace
    let links: NetlinkHandle
    let socket: NetlinkSocket
    let family: UInt16

    var kind: WireGuardBackendKind { .kernel }

    /// Throws ``NetlinkError/notFound(operation:)`` when the kernel has no WireGuard.
    init(namespace: NetworkNamespace, links: NetlinkHandle) throws {
        self.namespace = namespace
        self.links = links
        socket = try NetlinkSocket.open(protocol: NetlinkSocket.generic, in: namespace)
        family = try BackendDetection.kernelFamily(on: socket).id
    }

    func device(named name: String) throws -> Device {
        try DeviceName.validate(name)
        let replies = try deviceRequest(name) {
            try socket.request(KernelGetDevice.request(family: family, deviceName: name),
                               operation: "read WireGuard device \"\(name)\" in \(namespace)")
        }
        return try KernelGetDevice.decode(deviceName: name, payloads: replies.map(\.payload))
    }

    /// Sends the configuration as one batch of `WG_CMD_SET_DEVICE` messages (split to fit, see
    /// ``KernelSetDevice``), a few syscalls however many peers there are.
    func configure(named name: String, _ configuration: DeviceConfiguration) throws {
        try DeviceName.validate(name)
        let messages = KernelSetDevice(family: family, deviceName: name).messages(for: configuration)
        try deviceRequest(name) {
            try socket.batch(messages) { index in
                "configure WireGuard device \"\(name)\" in \(namespace) (message \(index + 1) of \(messages.count))"
            }
        }
    }

    func createDevice(named name: String) throws {
        try DeviceName.validate(name)
        try links.addLink(name: name, kind: "wireguard")
    }

    /// Deletes the interface after checking it is a WireGuard one, so a wrong name cannot take
    /// another interface with it.
    func deleteDevice(named name: String) throws {
        try DeviceName.validate(name)
        let link: Link
        do {
            link = try links.link(named: name)
        } catch NetlinkError.notFound {
            throw WireGuardError.deviceNotFound(device: name, namespace: namespace.description)
        }
        guard link.kind == "wireguard" else { throw WireGuardError.deviceNotFound(device: name, namespace: namespace.description) }
        try links.deleteLink(named: name)
    }

    /// The kernel says `ENODEV` for a missing interface and `EOPNOTSUPP` for one that is not
    /// WireGuard; both mean "no such WireGuard device" to a caller.
    private func deviceRequest<T>(_ name: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch NetlinkError.notFound, NetlinkError.notSupported {
            throw WireGuardError.deviceNotFound(device: name, namespace: namespace.description)
        }
    }
}
