import Kube

/// Why the cni-manager refused or failed an operation. Each case names the object and field, and
/// carries the HTTP status the server answers with, which tells the plugin whether to retry.
public enum ManagerError: Error, Sendable, CustomStringConvertible {
    /// A request field is missing or malformed.
    case invalidField(field: String, value: String, reason: String)
    /// The body is not the operation's JSON.
    case undecodable(operation: String, reason: String)
    /// The pod or its StaticGatewayConfiguration does not exist.
    case notFound(kind: String, name: String)
    /// The StaticGatewayConfiguration exists but cannot take pods yet.
    case gatewayNotReady(name: String, reason: String)
    /// The API server failed or could not be reached.
    case kubernetes(operation: String, KubeError)
    /// The operation did not finish within the server's deadline.
    case timedOut(operation: String)

    public var description: String {
        switch self {
        case .invalidField(let field, let value, let reason): "invalid \(field) \"\(value)\": \(reason)"
        case .undecodable(let operation, let reason): "\(operation): request body is not valid: \(reason)"
        case .notFound(let kind, let name): "\(kind) \(name) not found"
        case .gatewayNotReady(let name, let reason): "StaticGatewayConfiguration \(name) is not ready: \(reason)"
        case .kubernetes(let operation, let error): "failed to \(operation): \(error)"
        case .timedOut(let operation): "\(operation) did not finish in time"
        }
    }

    /// The HTTP status of the error answer.
    public var httpStatus: Int {
        switch self {
        case .invalidField, .undecodable: 400
        case .notFound: 404
        case .gatewayNotReady: 503
        case .kubernetes(_, let error): error.isTransient ? 503 : 500
        case .timedOut: 504
        }
    }
}
