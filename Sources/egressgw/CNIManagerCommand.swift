import ArgumentParser
import CNIManager
import Kube
import Logging
import Netlink
import Observability
import ServiceLifecycle
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `egressgw cni-manager`: the DaemonSet on every non-gateway Linux node. Installs the plugin and
/// its conflist entry, serves the plugin's API on a unix socket, removes the node's not-ready taint.
struct CNIManagerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cni-manager",
        abstract: "Install the egressgw CNI plugin on this node and serve its API on a unix socket."
    )

    @Option(help: "Unix socket of the plugin API (mode 0600).")
    var socketPath = "/var/run/egressgw/cni.sock"

    @Option(help: "kubeconfig file; default: KUBECONFIG, in-cluster, ~/.kube/config.")
    var kubeconfig: String?

    @Option(help: "This node's name (default: MY_NODE_NAME).")
    var nodeName: String?

    @Option(help: "The manager's own namespace, of the uninstall ConfigMap (default: MY_POD_NAMESPACE).")
    var podNamespace: String?

    @Option(help: "The runtime's CNI config directory.")
    var cniConfDir = "/etc/cni/net.d"

    @Option(help: "Name of the generated conflist in --cni-conf-dir.")
    var cniConfFile = ConflistDirectory.defaultFileName

    @Option(help: "Comma-separated CIDRs that bypass the tunnel in gateway-default mode (conflist excludedCIDRs).")
    var exceptionCidrs = ""

    @Option(help: "ConfigMap whose `uninstall` key decides whether the conflist goes at shutdown.")
    var cniUninstallConfigmapName = UninstallPolicy.defaultConfigMapName

    @Option(help: "The runtime's CNI plugin directory, where the plugin symlinks go.")
    var cniBinDir = "/opt/cni/bin"

    @Option(help: "The self-contained plugin bundle to install (egressgw and lib/).")
    var pluginBundleDir = "/opt/egressgw/cni-bundle"

    @Flag(inversion: .prefixedNo, help: "Install the plugin bundle and its symlinks into --cni-bin-dir.")
    var installPlugin = true

    @Flag(help: "Also link kube-egress-cni and kube-egress-cni-ipam to the plugin (migration).")
    var upstreamAliases = false

    @Option(help: "Port of /metrics, /healthz and /readyz (0: off).")
    var metricsBindPort = 8080

    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        let observability = logging.observability(label: "egressgw.cni-manager")
        let logger = observability.logger
        let environment = ProcessInfo.processInfo.environment
        guard let node = nodeName ?? environment["MY_NODE_NAME"], !node.isEmpty else {
            throw ValidationError("--node-name or MY_NODE_NAME is required")
        }
        let namespace = podNamespace ?? environment["MY_POD_NAMESPACE"] ?? "kube-system"
        let cidrs = try ExceptionCIDRs.parse(exceptionCidrs)
        let readiness = Readiness()

        if installPlugin {
            let path = try PluginInstaller(bundle: pluginBundleDir, binDirectory: cniBinDir,
                                           upstreamAliases: upstreamAliases).install()
            logger.info("installed the CNI plugin", metadata: ["executable": "\(path)"])
        }
        let client = try KubeClient(configuration: KubeClientConfiguration.load(
            kubeconfig: kubeconfig, environment: environment))
        let directory = ConflistDirectory(path: cniConfDir, fileName: cniConfFile,
                                          conflist: ChainedConflist(managerSocket: socketPath, excludedCIDRs: cidrs))
        let taints = NodeTaintRemover(client: client, nodeName: node, logger: logger) { directory.isInstalled }
        let conflists = ConflistManager(
            directory: directory,
            uninstall: UninstallPolicy(client: client, namespace: namespace, configMapName: cniUninstallConfigmapName),
            logger: logger, onInstalled: { taints.poke() })
        let registry = PodEndpointRegistry(client: client, nodeName: node, logger: logger)
        readiness.markNotReady("api", reason: "socket not listening yet")
        let server = ManagerServer(
            socketPath: socketPath,
            handlers: .init(registry: registry) {
                .init(version: BuildInfo.version, node: node, conflistInstalled: directory.isInstalled)
            },
            logger: logger, onListening: { readiness.markReady("api") })
        var services: [any Service] = [server, conflists, taints]
        if metricsBindPort > 0 {
            services.append(OperationalServer(port: metricsBindPort, metrics: observability.metrics, readiness: readiness, logger: logger))
        }
        let group = ServiceGroup(configuration: .init(
            services: services.map { .init(service: $0) }, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}

/// `--exception-cidrs` as upstream reads it: items trimmed, empty ones skipped, each a CIDR.
enum ExceptionCIDRs {
    static func parse(_ text: String) throws -> [String] {
        try text.split(separator: ",").map { String($0.drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed()) }.filter { !$0.isEmpty }.map { item in
            guard IPNetwork(item) != nil else {
                throw ValidationError("--exception-cidrs: \"\(item)\" is not a CIDR (address/prefix-length)")
            }
            return item
        }
    }
}
