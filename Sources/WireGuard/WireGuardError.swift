#if canImport(Glibc)
import Glibc
#endif

/// A failed WireGuard operation. Each case names the device (or the input field) it is about, so
/// the text can go into a log line or a Kubernetes event as it is. Kernel requests fail with the
/// `Netlink` module's `NetlinkError`, whose operation text names the device too.
public enum WireGuardError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Key text or bytes were refused. `value` is the offending text for public keys only; secret
    /// keys are never echoed (nil).
    case invalidKey(field: String, value: String?, reason: String)
    /// An endpoint (`address:port`, `[v6]:port`) could not be parsed.
    case invalidEndpoint(field: String, value: String, reason: String)
    /// An interface name the kernel would refuse (empty, over 15 bytes, `/` or whitespace).
    case invalidDeviceName(String, reason: String)
    /// No WireGuard device of that name in the namespace the client works in.
    case deviceNotFound(device: String, namespace: String)
    /// The userspace implementation (e.g. `wireguard-go`) is not installed or not executable.
    case userspaceImplementationNotFound(device: String, executable: String)
    /// The userspace implementation ran but failed to create the device.
    case userspaceStartFailed(device: String, executable: String, detail: String)
    /// The implementation was started but its UAPI socket did not appear in time.
    case socketTimeout(device: String, path: String, waitedMilliseconds: Int)
    /// The implementation exited during start-up because no inotify instance was left for this
    /// user; `limit` is `fs.inotify.max_user_instances` (nil when unreadable).
    case inotifyInstancesExhausted(device: String, executable: String, limit: Int?)
    /// The UAPI socket could not be reached or broke off mid-answer.
    case socketFailed(device: String, path: String, operation: String, errno: Int32)
    /// The userspace implementation answered `errno=N` (N ≠ 0).
    case uapiRefused(device: String, operation: String, errno: Int32)
    /// An answer (UAPI text or kernel attributes) did not have the expected shape.
    case malformedAnswer(device: String, operation: String, reason: String)
    /// The requested backend, or any backend when detecting, is not available on this host.
    case backendUnavailable(String)
    /// libsodium could not initialise (no randomness source), so no key can be generated.
    case cryptoUnavailable

    public var description: String {
        switch self {
        case .invalidKey(let field, let value, let reason):
            "\(field): invalid key \(value.map { "\"\(Self.clipped($0))\"" } ?? "(value redacted)"): \(reason)"
        case .invalidEndpoint(let field, let value, let reason):
            "\(field): invalid endpoint \"\(Self.clipped(value))\": \(reason)"
        case .invalidDeviceName(let name, let reason):
            "invalid WireGuard device name \"\(Self.clipped(name))\": \(reason)"
        case .deviceNotFound(let device, let namespace):
            "WireGuard device \"\(device)\" not found in \(namespace)"
        case .userspaceImplementationNotFound(let device, let executable):
            "create WireGuard device \"\(device)\": userspace implementation \"\(executable)\" not found "
                + "(install wireguard-go or configure its path)"
        case .userspaceStartFailed(let device, let executable, let detail):
            "create WireGuard device \"\(device)\": \(executable) failed: \(detail)"
        case .socketTimeout(let device, let path, let waited):
            "create WireGuard device \"\(device)\": UAPI socket \(path) did not appear within \(waited) ms"
        case .inotifyInstancesExhausted(let device, let executable, let limit):
            "create WireGuard device \"\(device)\": \(executable) exited during start-up: " + InotifyInstances.explanation(limit: limit)
        case .socketFailed(let device, let path, let operation, let code):
            "\(operation) WireGuard device \"\(device)\" via \(path): \(String(cString: strerror(code)))"
        case .uapiRefused(let device, let operation, let code):
            "\(operation) WireGuard device \"\(device)\": userspace implementation answered errno=\(code) (\(String(cString: strerror(code))))"
        case .malformedAnswer(let device, let operation, let reason):
            "\(operation) WireGuard device \"\(device)\": malformed answer: \(reason)"
        case .backendUnavailable(let reason):
            "no usable WireGuard backend: \(reason)"
        case .cryptoUnavailable:
            "libsodium could not initialise (no randomness source)"
        }
    }

    /// Keeps a bad value readable in one log line however long the input was.
    private static func clipped(_ text: String) -> String {
        text.count <= 64 ? text : String(text.prefix(64)) + "…"
    }
}
