/// Why no client configuration could be made: every case names the file (or the environment variable) and, where
/// it applies, the field at fault, so that a user can fix the input without reading code.
public enum KubeConfigError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A kubeconfig file named explicitly (`--kubeconfig`) is missing or unreadable.
    case fileNotReadable(path: String, reason: String)
    /// The file is not YAML, or not the shape of a kubeconfig.
    case malformed(path: String, detail: String)
    /// A field holds a value that cannot be used (bad base64, an unknown exec API version...).
    case invalidField(path: String, field: String, detail: String)
    /// No kubeconfig was found and the process does not run in a cluster.
    case noConfiguration(searched: [String])
    /// The context to use is not defined in any of the files.
    case contextNotFound(name: String, files: [String])
    /// No context was asked for and the files set no `current-context`.
    case noCurrentContext(files: [String])
    /// The context names a cluster or user that no file defines.
    case missingReference(context: String, kind: String, name: String, files: [String])
    /// The in-cluster configuration is incomplete: a variable unset or a service-account file missing.
    case inCluster(detail: String)
    /// An exec credential plugin could not be run or answered with something unusable.
    case execPlugin(command: String, detail: String)

    public var description: String {
        switch self {
        case .fileNotReadable(let path, let reason):
            "kubeconfig \(path): cannot read: \(reason)"
        case .malformed(let path, let detail):
            "kubeconfig \(path): malformed: \(detail)"
        case .invalidField(let path, let field, let detail):
            "kubeconfig \(path): \(field): \(detail)"
        case .noConfiguration(let searched):
            "no Kubernetes configuration: not in a cluster (KUBERNETES_SERVICE_HOST unset) and no kubeconfig at "
                + (searched.isEmpty ? "any default location" : searched.joined(separator: ", "))
        case .contextNotFound(let name, let files):
            "kubeconfig \(files.joined(separator: ", ")): context \"\(name)\" not found"
        case .noCurrentContext(let files):
            "kubeconfig \(files.joined(separator: ", ")): no current-context set and no context given"
        case .missingReference(let context, let kind, let name, let files):
            "kubeconfig \(files.joined(separator: ", ")): context \"\(context)\" refers to \(kind) \"\(name)\", "
                + "which is not defined"
        case .inCluster(let detail):
            "in-cluster configuration: \(detail)"
        case .execPlugin(let command, let detail):
            "exec credential plugin \"\(command)\": \(detail)"
        }
    }
}
