#if canImport(Glibc)
import Glibc
#endif

/// A failed netlink or namespace operation. Every case names the operation and its object
/// (`add link "wg-6000"`), so the text is useful in a log line or a Kubernetes event as it is.
public enum NetlinkError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The object already exists (`EEXIST`).
    case exists(operation: String)
    /// The object, or one it refers to, does not exist (`ENOENT`, `ENODEV`, `ESRCH`, `EADDRNOTAVAIL`).
    case notFound(operation: String)
    /// The kernel does not support the request, e.g. an unknown link kind (`EOPNOTSUPP`).
    case notSupported(operation: String, detail: String)
    /// The caller lacks the capability (`EPERM`, `EACCES`); most operations need `CAP_NET_ADMIN`.
    case permissionDenied(operation: String)
    /// The request was refused before it reached the kernel, or the kernel said `EINVAL`.
    case invalidArgument(operation: String, reason: String)
    /// Any other errno, with the kernel's extended-ack message when it sent one.
    case system(operation: String, errno: Int32, detail: String)
    /// The kernel's answer could not be decoded.
    case malformedMessage(operation: String, reason: String)

    /// Maps an errno to the matching case.
    public init(operation: String, errno code: Int32, detail: String = "") {
        switch code {
        case EEXIST: self = .exists(operation: operation)
        case ENOENT, ENODEV, ESRCH, EADDRNOTAVAIL: self = .notFound(operation: operation)
        case EOPNOTSUPP, EAFNOSUPPORT, EPROTONOSUPPORT: self = .notSupported(operation: operation, detail: detail.isEmpty ? NetlinkError.text(code) : detail)
        case EPERM, EACCES: self = .permissionDenied(operation: operation)
        case EINVAL: self = .invalidArgument(operation: operation, reason: detail.isEmpty ? NetlinkError.text(code) : detail)
        default: self = .system(operation: operation, errno: code, detail: detail)
        }
    }

    public var description: String {
        switch self {
        case .exists(let op): "\(op): already exists"
        case .notFound(let op): "\(op): not found"
        case .notSupported(let op, let detail): "\(op): not supported (\(detail))"
        case .permissionDenied(let op): "\(op): permission denied (needs CAP_NET_ADMIN / root)"
        case .invalidArgument(let op, let reason): "\(op): invalid argument: \(reason)"
        case .system(let op, let code, let detail):
            "\(op): \(NetlinkError.text(code))" + (detail.isEmpty ? "" : " (\(detail))")
        case .malformedMessage(let op, let reason): "\(op): malformed netlink answer: \(reason)"
        }
    }

    static func text(_ code: Int32) -> String { String(cString: strerror(code)) }
}
