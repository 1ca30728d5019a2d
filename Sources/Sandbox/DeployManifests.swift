import Foundation
import Kube
import Netlink
import Yams

/// The objects of `deploy/default` as `kubectl kustomize` renders them (the renderer the
/// DeployTests check): the Sandbox's API server holds the same namespace, CRDs and RBAC as a
/// cluster where egressgw is installed, so the roles run with exactly the rights they ship with.
public struct DeployManifests: Sendable {
    /// The kinds a control plane holds; the workloads (Deployment, DaemonSets) are the Sandbox's
    /// processes instead, and the cloud-config Secret is a template without credentials.
    public static let controlPlaneKinds = ["Namespace", "CustomResourceDefinition", "ServiceAccount", "ClusterRole",
                                           "ClusterRoleBinding", "Role", "RoleBinding", "ConfigMap"]

    public let objects: [JSONValue]

    public init(objects: [JSONValue]) { self.objects = objects }

    /// Renders `directory` with `kubectl kustomize`.
    public static func render(_ directory: String, kubectl: String = "kubectl") throws(SandboxError) -> DeployManifests {
        let output = try SandboxError.during("render \(directory) with kubectl kustomize") {
            try NetworkNamespace.process.executeChecked(kubectl, ["kustomize", directory]).stdout
        }
        return try parse(output, source: directory)
    }

    /// The objects of a multi-document YAML stream.
    public static func parse(_ yaml: String, source: String) throws(SandboxError) -> DeployManifests {
        let nodes = try SandboxError.during("parse the YAML of \(source)") { try Yams.compose_all(yaml: yaml).map { $0 } }
        return DeployManifests(objects: nodes.map(JSONValue.init(yaml:)).filter { $0 != .null })
    }

    /// The control plane's objects, in an order the API server accepts: namespaces and CRDs first.
    public var controlPlaneObjects: [JSONValue] {
        Self.controlPlaneKinds.flatMap { kind in objects.filter { $0["kind"]?.stringValue == kind } }
    }

    /// The names of the ServiceAccounts, by namespace.
    public var serviceAccounts: [(namespace: String, name: String)] {
        objects.filter { $0["kind"]?.stringValue == "ServiceAccount" }.map {
            ($0["metadata"]?["namespace"]?.stringValue ?? "default", $0["metadata"]?["name"]?.stringValue ?? "")
        }
    }
}

/// How a workload's container starts on one node: its arguments and environment, resolved as the
/// kubelet resolves them for a pod (field references to the node and namespace, `$(VAR)` in arguments).
public struct ContainerCommand: Sendable, Hashable {
    public var arguments: [String]
    public var environment: [String: String]
}

extension DeployManifests {
    /// The first container of the Deployment or DaemonSet `name`, for a pod on `nodeName`.
    public func container(ofWorkload name: String, nodeName: String) throws(SandboxError) -> ContainerCommand {
        guard let workload = objects.first(where: {
            ["Deployment", "DaemonSet"].contains($0["kind"]?.stringValue ?? "") && $0["metadata"]?["name"]?.stringValue == name
        }), let container = workload["spec"]?["template"]?["spec"]?["containers"]?.arrayValue?.first else {
            throw .invalidConfiguration(field: "workload", value: name, reason: "no Deployment or DaemonSet with a container in the manifests")
        }
        let namespace = workload["metadata"]?["namespace"]?.stringValue ?? "default"
        var environment: [String: String] = [:]
        for variable in container["env"]?.arrayValue ?? [] {
            guard let key = variable["name"]?.stringValue else { continue }
            if let value = variable["value"]?.stringValue {
                environment[key] = value
            } else if let field = variable["valueFrom"]?["fieldRef"]?["fieldPath"]?.stringValue {
                switch field {
                case "spec.nodeName": environment[key] = nodeName
                case "metadata.namespace": environment[key] = namespace
                default:
                    throw .invalidConfiguration(field: "env \(key) of \(name)", value: field, reason: "a field reference the Sandbox does not resolve")
                }
            }
        }
        let arguments = (container["args"]?.arrayValue ?? []).compactMap(\.stringValue).map { argument in
            environment.reduce(argument) { text, variable in text.replacingOccurrences(of: "$(\(variable.key))", with: variable.value) }
        }
        return ContainerCommand(arguments: arguments, environment: environment)
    }
}
