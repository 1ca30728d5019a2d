import Kube

/// Why a gateway or a pod endpoint could not be set up on this node. The text names the object,
/// the field and the value, so a log line says what to fix.
public enum GatewayDaemonError: Error, CustomStringConvertible {
    /// The gateway's GatewayVMConfiguration does not (yet) list this node.
    case vmProfileMissing(gateway: ObjectKey, reason: String)
    /// The Secret the gateway's status names is not in the daemon's cache (absent, or outside
    /// `--secret-namespace`).
    case secretMissing(gateway: ObjectKey, secret: ObjectKey, secretNamespace: String)
    /// A field holds a value the daemon cannot use.
    case invalidField(object: String, field: String, value: String, reason: String)
    /// The kernel refused part of the data path.
    case dataPath(object: String, cause: GatewayDataPathError)
    /// A flag or environment value is unusable.
    case invalidSetting(name: String, value: String, reason: String)

    public var description: String {
        switch self {
        case .vmProfileMissing(let gateway, let reason):
            "StaticGatewayConfiguration \(gateway): \(reason)"
        case .secretMissing(let gateway, let secret, let secretNamespace):
            secret.namespace == secretNamespace
                ? "StaticGatewayConfiguration \(gateway): secret \(secret) not found"
                : "StaticGatewayConfiguration \(gateway): secret \(secret) is outside --secret-namespace \"\(secretNamespace)\", the only namespace whose secrets the daemon reads"
        case .invalidField(let object, let field, let value, let reason):
            "\(object): invalid \(field) \"\(value)\": \(reason)"
        case .dataPath(let object, let cause):
            "\(object): \(cause)"
        case .invalidSetting(let name, let value, let reason):
            "invalid \(name) \"\(value)\": \(reason)"
        }
    }
}
