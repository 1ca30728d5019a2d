import Azure
import Kube
import WireGuard

/// Why a reconcile pass of the operator failed; each case names the object and the operation.
public enum OperatorError: Error, CustomStringConvertible {
    /// A Kubernetes request failed: `operation` says what was tried on which object.
    case kube(_ operation: String, KubeError)
    /// No WireGuard key could be generated for the SGC `sgc`.
    case keyGeneration(sgc: ObjectKey, WireGuardError)
    /// The child `child` is controlled by another owner than the expected one.
    case ownedByAnother(child: String, owner: String)
    /// An Azure-side failure, with the text the events carry.
    case fabric(String)
    /// An ARM call failed.
    case arm(ARMError)

    public var description: String {
        switch self {
        case .kube(let operation, let error): "failed to \(operation): \(error)"
        case .keyGeneration(let sgc, let error): "failed to generate the WireGuard key of \(sgc): \(error)"
        case .ownedByAnother(let child, let owner): "\(child) is already controlled by \(owner)"
        case .fabric(let message): message
        // The texts stay the same from one pass to the next (no remaining wait in them): they become the Ready
        // message, and a changed message would be a status write whose event requeues the key at once.
        case .arm(.preconditionFailed(let method, let url, _, _)):
            "\(method) \(url): the resource changed since it was read; re-reading and recomputing"
        case .arm(.throttled(let method, let url, _)):
            "\(method) \(url): throttled due to too many requests; requeued after ARM's Retry-After"
        case .arm(.unavailable(let method, let url, let status, let code, let message, _)):
            "\(method) \(url): \(status) \(code): \(message); requeued after ARM's Retry-After"
        case .arm(let error): "\(error)"
        }
    }
}

/// The controller requeues after ARM's `Retry-After` (throttling, or a busy server the client gave up on) and at
/// once after a 412, whose pass starts from a fresh read; other failures take the key's backoff.
extension OperatorError: RetryAfterError {
    public var retryAfter: Duration? {
        switch self {
        case .arm(let error): error.retryAfter
        case .kube(_, let error): error.retryAfter
        default: nil
        }
    }
}

extension KubeError {
    /// The error as an operator failure, naming what was tried.
    func during(_ operation: String) -> OperatorError { .kube(operation, self) }
}
