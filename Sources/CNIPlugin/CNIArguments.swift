/// `CNI_ARGS` as kubelet and containerd set it: `IgnoreUnknown=1;K8S_POD_NAMESPACE=ns;K8S_POD_NAME=web-0;…`.
///
/// Parsed by libcni's rules (upstream-cni §1.3): every pair has exactly one `=`; a key other than
/// the four below is an error unless `IgnoreUnknown` is `1` or `true` (any case), in which case
/// it is dropped (kubelet always sends it, with `K8S_POD_UID` among the unknown keys).
public struct CNIArguments: Equatable, Sendable {
    public var podName: String?
    public var podNamespace: String?
    public var podInfraContainerID: String?

    public init(podName: String? = nil, podNamespace: String? = nil, podInfraContainerID: String? = nil) {
        self.podName = podName
        self.podNamespace = podNamespace
        self.podInfraContainerID = podInfraContainerID
    }

    /// Parses `text`; nil or empty gives no values. Errors are code 4 naming the pair.
    public init(parsing text: String?) throws(CNIError) {
        self.init()
        guard let text, !text.isEmpty else { return }
        var pairs: [(key: String, value: String)] = []
        for pair in text.split(separator: ";", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty else {
                throw CNIError(code: .invalidEnvironment, message: "CNI_ARGS: invalid pair \"\(pair)\": expected KEY=VALUE")
            }
            pairs.append((String(parts[0]), String(parts[1])))
        }
        var ignoreUnknown = false
        if let flag = pairs.last(where: { $0.key == "IgnoreUnknown" })?.value {
            switch flag.lowercased() {
            case "1", "true": ignoreUnknown = true
            case "0", "false": ignoreUnknown = false
            default:
                throw CNIError(code: .invalidEnvironment, message: "CNI_ARGS: IgnoreUnknown=\"\(flag)\" is not a boolean (1, 0, true, false)")
            }
        }
        for (key, value) in pairs {
            switch key {
            case "IgnoreUnknown": continue
            case "K8S_POD_NAME": podName = value
            case "K8S_POD_NAMESPACE": podNamespace = value
            case "K8S_POD_INFRA_CONTAINER_ID": podInfraContainerID = value
            default:
                guard ignoreUnknown else {
                    throw CNIError(code: .invalidEnvironment,
                                   message: "CNI_ARGS: unknown key \"\(key)\" (set IgnoreUnknown=1 to allow it)")
                }
            }
        }
    }

    /// The pod these arguments name; nil unless both name and namespace are set, i.e. when the
    /// container is not a Kubernetes pod sandbox.
    public var pod: PodReference? {
        guard let podName, !podName.isEmpty, let podNamespace, !podNamespace.isEmpty else { return nil }
        return PodReference(namespace: podNamespace, name: podName)
    }
}

/// A pod by namespace and name, as the cni-manager looks it up.
public struct PodReference: Hashable, Sendable, CustomStringConvertible {
    public var namespace: String
    public var name: String

    public init(namespace: String, name: String) {
        self.namespace = namespace
        self.name = name
    }

    /// `namespace/name`.
    public var description: String { "\(namespace)/\(name)" }
}
