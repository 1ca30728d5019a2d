import Netlink

/// One way of driving WireGuard devices in one network namespace. ``WireGuardClient`` picks an
/// implementation per host; upper layers can also hand it their own (a test double).
public protocol WireGuardBackend: Sendable {
    /// Which implementation this is, for logs and `egressgw version`.
    var kind: WireGuardBackendKind { get }
    /// Reads the device with all its peers. Unknown name: ``WireGuardError/deviceNotFound(device:namespace:)``.
    func device(named name: String) throws -> Device
    /// Applies `configuration` as one batched operation, however many peers it has.
    func configure(named name: String, _ configuration: DeviceConfiguration) throws
    /// Creates the device's interface (down, no key, no peers). Nothing is left behind on failure.
    func createDevice(named name: String) throws
    /// Deletes the device's interface; a userspace implementation exits with it.
    func deleteDevice(named name: String) throws
}

/// The implementation behind a ``WireGuardBackend``.
public enum WireGuardBackendKind: Hashable, Sendable, CustomStringConvertible {
    /// The Linux kernel module, through generic netlink.
    case kernel
    /// A userspace implementation (wireguard-go, boringtun) through its UAPI socket.
    case userspace(executable: String)

    /// `kernel` or `userspace (wireguard-go)`.
    public var description: String {
        switch self {
        case .kernel: "kernel"
        case .userspace(let executable): "userspace (\(executable.split(separator: "/").last.map(String.init) ?? executable))"
        }
    }
}

/// Device names become interface names and, for userspace devices, file names under the socket
/// directory; the interface-name rules (Netlink's) cover both.
enum DeviceName {
    static func validate(_ name: String) throws(WireGuardError) {
        if let problem = InterfaceName.problem(with: name) { throw .invalidDeviceName(name, reason: problem) }
    }
}
