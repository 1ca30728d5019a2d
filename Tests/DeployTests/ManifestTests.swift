import EgressGatewayAPI
import Foundation
import Kube
import Testing

/// The rendered objects agree with each other: names, ports, mounts and the namespace.
@Suite(.enabled(if: Kubectl.path != nil, "kubectl is not installed"))
struct ManifestTests {
    static let namespace = "kube-egress-gateway-system"
    static let clusterScoped: Set<String> = ["Namespace", "CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding"]

    @Test(arguments: kustomizations)
    func everythingLivesInTheNamespace(_ kustomization: String) async throws {
        let manifests = try await Kubectl.render(kustomization)
        #expect(try manifests.one("Namespace", Self.namespace).name == Self.namespace)
        for manifest in manifests where !Self.clusterScoped.contains(manifest.kind) {
            #expect(manifest.namespace == Self.namespace, "\(manifest) is in \(manifest.namespace ?? "no namespace")")
        }
    }

    @Test(arguments: kustomizations)
    func theCRDsAreTheGeneratedOnes(_ kustomization: String) async throws {
        let rendered = try await Kubectl.render(kustomization).all("CustomResourceDefinition")
        #expect(Set(rendered.map(\.name)) == Set(CustomResourceDefinitions.all.map(\.metadata.name)))
    }

    /// Workloads run as ServiceAccounts that exist; every binding names an existing account and role; every account
    /// is bound.
    @Test(arguments: kustomizations)
    func serviceAccountsMatchTheBindings(_ kustomization: String) async throws {
        let manifests = try await Kubectl.render(kustomization)
        let accounts = Set(manifests.all("ServiceAccount").map(\.name))
        for workload in manifests where workload.podSpec != nil {
            let account = workload.podSpec?["serviceAccountName"]?.stringValue ?? "default"
            #expect(accounts.contains(account), "\(workload) runs as missing ServiceAccount \(account)")
            #expect(workload.podSpec?["automountServiceAccountToken"]?.boolValue != false, "\(workload) needs its token")
        }
        var bound: Set<String> = []
        for binding in manifests.all("RoleBinding") + manifests.all("ClusterRoleBinding") {
            let kind = binding["roleRef", "kind"]?.stringValue ?? ""
            let role = binding["roleRef", "name"]?.stringValue ?? ""
            #expect(kind == (binding.kind == "RoleBinding" ? "Role" : "ClusterRole"), "\(binding) refers to a \(kind)")
            #expect(manifests.contains { $0.kind == kind && $0.name == role && $0.namespace == binding.namespace },
                    "\(binding) refers to missing \(kind)/\(role)")
            for subject in binding["subjects"]?.arrayValue ?? [] {
                let name = subject["name"]?.stringValue ?? ""
                #expect(subject["kind"]?.stringValue == "ServiceAccount" && accounts.contains(name)
                        && subject["namespace"]?.stringValue == Self.namespace, "\(binding) subject \(subject)")
                bound.insert(name)
            }
        }
        #expect(bound == accounts, "bound \(bound.sorted()), accounts \(accounts.sorted())")
    }

    /// Probes hit the port the role serves health on (its health port, or the metrics port that also serves
    /// /healthz and /readyz); declared ports equal the flags; `$(VAR)` in arguments has an env entry.
    @Test(arguments: kustomizations)
    func portsAndProbesMatchTheArguments(_ kustomization: String) async throws {
        let manifests = try await Kubectl.render(kustomization)
        for workload in manifests where workload.podSpec != nil {
            for container in workload.containers {
                let arguments = ContainerArguments(container)
                let healthPort = arguments.port("health-probe-bind-port") ?? arguments.port("metrics-bind-port")
                #expect(healthPort != nil, "\(workload) has no health or metrics port flag")
                for probe in ["livenessProbe", "readinessProbe"] {
                    let port = container[probe]?["httpGet"]?["port"]?.intValue
                    #expect(port != nil && port == healthPort, "\(workload) \(probe) port \(port.map(String.init) ?? "none")")
                }
                let declared = Dictionary(uniqueKeysWithValues: (container["ports"]?.arrayValue ?? []).compactMap { port in
                    port["name"]?.stringValue.flatMap { name in port["containerPort"]?.intValue.map { (name, $0) } }
                })
                #expect(declared["metrics"] == arguments.port("metrics-bind-port"), "\(workload) metrics port")
                if let health = arguments.port("health-probe-bind-port") { #expect(declared["health"] == health) }
                let environment = Set((container["env"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue })
                for value in arguments.flags.values {
                    for reference in value.matches(of: /\$\(([A-Z_]+)\)/) {
                        #expect(environment.contains(String(reference.output.1)), "\(workload) uses $(\(reference.output.1))")
                    }
                }
                let volumes = Set((workload.podSpec?["volumes"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue })
                for mount in (container["volumeMounts"]?.arrayValue ?? []) + workload.initContainers.flatMap({ $0["volumeMounts"]?.arrayValue ?? [] }) {
                    #expect(volumes.contains(mount["name"]?.stringValue ?? ""), "\(workload) mounts missing volume \(mount)")
                }
            }
        }
    }

    /// The load balancer probes the port the operator writes into Azure, and the drain fits in the grace period.
    @Test(arguments: kustomizations)
    func theGatewayServesTheProbeTheOperatorConfigures(_ kustomization: String) async throws {
        let manifests = try await Kubectl.render(kustomization)
        let gateway = try manifests.one("DaemonSet", "egressgw-gateway")
        let operatorArguments = ContainerArguments(try #require(try manifests.one("Deployment", "egressgw-operator").containers.first))
        let gatewayContainer = try #require(gateway.containers.first)
        let gatewayArguments = ContainerArguments(gatewayContainer)
        let probePort = try #require(gatewayArguments.port("gateway-lb-probe-port"))
        #expect(operatorArguments.port("gateway-lb-probe-port") == probePort)
        #expect((gatewayContainer["ports"]?.arrayValue ?? []).contains { $0["containerPort"]?.intValue == probePort })
        #expect(gateway.podSpec?["hostNetwork"]?.boolValue == true)
        let drain = try #require(gatewayArguments.port("lb-probe-drain-delay-seconds"))
        let grace = try #require(gateway.podSpec?["terminationGracePeriodSeconds"]?.intValue)
        // The probe server gets 5 s to shut down after the drain (upstream-gateway-daemon.md §7.4).
        #expect(grace > drain + 5, "grace period \(grace) s, drain \(drain) s")
        let capabilities = Set(gatewayContainer["securityContext"]?["capabilities"]?["add"]?.strings ?? [])
        #expect(capabilities == ["NET_ADMIN", "NET_RAW", "SYS_ADMIN"])
        #expect(gatewayContainer["securityContext"]?["privileged"]?.boolValue != true)
        let netnsMounts = (gateway.initContainers + gateway.containers).compactMap { container in
            (container["volumeMounts"]?.arrayValue ?? []).first { $0["mountPath"]?.stringValue == "/var/run/netns" }
        }
        #expect(netnsMounts.compactMap { $0["mountPropagation"]?.stringValue }.sorted() == ["Bidirectional", "HostToContainer"])
        let selector = gateway.podSpec?["nodeSelector"]?["kubeegressgateway.azure.com/mode"]?.stringValue
        let tolerated = (gateway.podSpec?["tolerations"]?.arrayValue ?? []).contains {
            $0["key"]?.stringValue == "kubeegressgateway.azure.com/mode" && $0["effect"]?.stringValue == "NoSchedule"
        }
        #expect(selector == "true" && tolerated)
    }

    /// The operator reads the cloud config from the Secret's key at the path its flag names; it runs non-root on a
    /// read-only root filesystem and elects a leader in its own namespace.
    @Test(arguments: kustomizations)
    func theOperatorFindsItsCloudConfig(_ kustomization: String) async throws {
        let manifests = try await Kubectl.render(kustomization)
        let deployment = try manifests.one("Deployment", "egressgw-operator")
        let container = try #require(deployment.containers.first)
        let arguments = ContainerArguments(container)
        let path = try #require(arguments.flags["cloud-config"])
        let mount = try #require((container["volumeMounts"]?.arrayValue ?? []).first {
            path.hasPrefix(($0["mountPath"]?.stringValue ?? "") + "/")
        })
        let volume = try #require((deployment.podSpec?["volumes"]?.arrayValue ?? []).first {
            $0["name"] == mount["name"]
        })
        let secret = try manifests.one("Secret", try #require(volume["secret"]?["secretName"]?.stringValue))
        let key = String(path.dropFirst((mount["mountPath"]?.stringValue ?? "").count + 1))
        let text = try #require(secret["stringData", key]?.stringValue, "Secret \(secret.name) has no key \(key)")
        #expect(try JSONSerialization.jsonObject(with: Data(text.utf8)) is [String: Any], "\(key) is not a JSON object")
        #expect(arguments.flags["leader-elect"] != nil)
        #expect(arguments.flags["leader-election-namespace"] == "$(MY_POD_NAMESPACE)")
        #expect(arguments.flags["secret-namespace"] == "$(MY_POD_NAMESPACE)")
        #expect(deployment.podSpec?["securityContext"]?["runAsNonRoot"]?.boolValue == true)
        #expect(container["securityContext"]?["readOnlyRootFilesystem"]?.boolValue == true)
        #expect(container["resources"]?["limits"]?["memory"] != nil)
    }

    /// The cni-manager's uninstall ConfigMap exists with its key, and its Role may read exactly that one.
    @Test(arguments: kustomizations)
    func theCNIManagerFindsItsUninstallConfigMap(_ kustomization: String) async throws {
        let manifests = try await Kubectl.render(kustomization)
        let daemonSet = try manifests.one("DaemonSet", "egressgw-cni-manager")
        let container = try #require(daemonSet.containers.first)
        let name = try #require(ContainerArguments(container).flags["cni-uninstall-configmap-name"])
        #expect(try manifests.one("ConfigMap", name)["data", "uninstall"]?.stringValue == "false")
        let role = try manifests.one("Role", "egressgw-cni-manager")
        let rule = try #require((role["rules"]?.arrayValue ?? []).first { $0["resources"]?.strings == ["configmaps"] })
        #expect(rule["resourceNames"]?.strings == [name])
        let hostPaths = Set((daemonSet.podSpec?["volumes"]?.arrayValue ?? []).compactMap { $0["hostPath"]?["path"]?.stringValue })
        let arguments = ContainerArguments(container)
        let socketDirectory = try #require(arguments.flags["socket-path"].map { URL(fileURLWithPath: $0).deletingLastPathComponent().path })
        for path in [arguments.flags["cni-conf-dir"], arguments.flags["cni-bin-dir"], socketDirectory] {
            #expect(path.map(hostPaths.contains) == true, "\(path ?? "a flag") is not a hostPath volume (\(hostPaths.sorted()))")
        }
        #expect(daemonSet.podSpec?["terminationGracePeriodSeconds"]?.intValue == 60)
    }
}

/// Each overlay sets up its identity and nothing else changes roles.
@Suite(.enabled(if: Kubectl.path != nil, "kubectl is not installed"))
struct IdentityOverlayTests {
    func cloudConfig(_ kustomization: String) async throws -> [String: Any] {
        let secret = try await Kubectl.render(kustomization).one("Secret", "egressgw-cloud-config")
        let text = try #require(secret["stringData", "azure.json"]?.stringValue)
        return try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func managedIdentity() async throws {
        let config = try await cloudConfig("deploy/overlays/managed-identity")
        #expect(config["useManagedIdentityExtension"] as? Bool == true)
        #expect(config["aadClientSecret"] == nil)
    }

    @Test func servicePrincipal() async throws {
        let config = try await cloudConfig("deploy/overlays/service-principal")
        #expect(config["useManagedIdentityExtension"] as? Bool == false)
        #expect(config["aadClientId"] is String && config["aadClientSecret"] is String)
    }

    @Test func workloadIdentity() async throws {
        let directory = "deploy/overlays/workload-identity"
        let config = try await cloudConfig(directory)
        #expect(config["useFederatedWorkloadIdentityExtension"] as? Bool == true)
        #expect(config["aadClientSecret"] == nil)
        let manifests = try await Kubectl.render(directory)
        let account = try manifests.one("ServiceAccount", "egressgw-operator")
        #expect(account["metadata", "annotations", "azure.workload.identity/client-id"] != nil)
        let deployment = try manifests.one("Deployment", "egressgw-operator")
        #expect(deployment["spec", "template", "metadata", "labels", "azure.workload.identity/use"]?.stringValue == "true")
        // Only the operator talks to Azure.
        for other in ["egressgw-gateway", "egressgw-cni-manager"] {
            #expect(try manifests.one("DaemonSet", other)["spec", "template", "metadata", "labels", "azure.workload.identity/use"] == nil)
        }
    }
}
