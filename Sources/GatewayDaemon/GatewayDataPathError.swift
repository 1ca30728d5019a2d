/// A gateway data-path operation that could not be done. The text names the object and the
/// step (`create WireGuard link "wg-6000" in netns "node": …`), so it can go into a log line or
/// a Kubernetes event as it is.
public enum GatewayDataPathError: Error, CustomStringConvertible {
    /// A value of the desired state was refused before anything was changed.
    case invalidArgument(field: String, value: String, reason: String)
    /// A step failed; `cause` is the error of the layer below (Netlink, WireGuard, Firewall).
    case failed(operation: String, cause: any Error)
    /// A step failed and undoing what it had made failed too, so something may be left over.
    case rollbackFailed(operation: String, cause: any Error, rollback: any Error)

    public var description: String {
        switch self {
        case .invalidArgument(let field, let value, let reason):
            "invalid \(field) \"\(value)\": \(reason)"
        case .failed(let operation, let cause):
            "\(operation): \(cause)"
        case .rollbackFailed(let operation, let cause, let rollback):
            "\(operation): \(cause) (and undoing it failed: \(rollback))"
        }
    }

    /// `error` as a data-path error of `operation`; one that already is passes unchanged, so the
    /// innermost step keeps naming itself.
    static func wrapping(_ error: any Error, operation: String) -> GatewayDataPathError {
        (error as? GatewayDataPathError) ?? .failed(operation: operation, cause: error)
    }
}
