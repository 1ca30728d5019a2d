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

    public var description: String {
        switch self {
        case .kube(let operation, let error): "failed to \(operation): \(error)"
        case .keyGeneration(let sgc, let error): "failed to generate the WireGuard key of \(sgc): \(error)"
        case .ownedByAnother(let child, let owner): "\(child) is already controlled by \(owner)"
        case .fabric(let message): message
        }
    }
}

extension KubeError {
    /// The error as an operator failure, naming what was tried.
    func during(_ operation: String) -> OperatorError { .kube(operation, self) }
}
