import ArgumentParser
import Azure
import Foundation
import GatewayDaemon
import Kube
import Logging
import Observability
import ServiceLifecycle
import WireGuard

/// `egressgw gateway` (alias `gateway-daemon`, argv[0] `kube-egress-gateway-daemon`): the gateway
/// node daemon, with the flags, environment and ports of the Go daemon.
struct GatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract: "Run the gateway node daemon: WireGuard links, peers, NAT rules and load-balancer probes for each gateway.",
        discussion: "Reads MY_NODE_NAME and MY_POD_NAMESPACE from the environment.",
        aliases: ["gateway-daemon"]
    )

    @Option(help: "Port of the Prometheus /metrics server (all addresses).")
    var metricsBindPort = 8080

    @Option(help: "Port of the /healthz and /readyz server.")
    var healthProbeBindPort = 8081

    @Option(help: "Port of the load balancer's /gw/<uid> health probe server; must equal the operator's.")
    var gatewayLbProbePort = 8082

    @Option(help: "Seconds the probe server answers 503 before it stops on SIGTERM (values <= 0 mean 10).")
    var lbProbeDrainDelaySeconds = 10

    @Option(help: "The only namespace whose Secrets are read (default: $MY_POD_NAMESPACE).")
    var secretNamespace: String?

    @Option(help: "Path to a kubeconfig (default: $KUBECONFIG, then in-cluster).")
    var kubeconfig: String?

    @Flag(name: [.customShort("t"), .long], help: .hidden)
    var toggle = false

    @Option(help: "WireGuard backend: automatic, kernel or userspace.")
    var wireguardBackend: WireGuardBackendChoice = .automatic

    @Option(help: "The userspace WireGuard implementation, started per link when the kernel has none.")
    var wireguardUserspaceExecutable = "wireguard-go"

    @Option(help: .hidden)
    var uplink = "eth0"

    @Option(help: .hidden)
    var gatewayNamespace = GatewayLayout.defaultNamespaceName

    @OptionGroup var identity: NodeIdentityOptions
    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        let observability = logging.observability(label: "egressgw.gateway")
        let logger = observability.logger
        let environment = ProcessInfo.processInfo.environment
        let nodeName = try required(environment, "MY_NODE_NAME")
        let podNamespace = try required(environment, "MY_POD_NAMESPACE")

        var kube = try KubeClientConfiguration.load(kubeconfig: kubeconfig, environment: environment)
        kube.userAgent = KubeClientConfiguration.userAgent(version: BuildInfo.version, role: "gateway")
        let client = try KubeClient(configuration: kube)

        let wireGuard = WireGuardOptions(backend: wireguardBackend.backend, userspaceExecutable: wireguardUserspaceExecutable)
        var implementations: UserspaceImplementations?
        if wireguardBackend != .kernel {
            try UserspaceImplementations.becomeSubreaper()
            implementations = UserspaceImplementations(executable: wireguardUserspaceExecutable)
        }
        let node = try GatewayNode(uplink: uplink, gatewayNamespaceName: gatewayNamespace, wireGuard: wireGuard)
        let source = try identity.source(userAgent: kube.userAgent, logger: logger)
        let nodeIdentity = try await source.nodeIdentity(retrying: ExponentialBackoff(base: .seconds(1), cap: .seconds(30)),
                                                         logger: logger)

        let readiness = Readiness()
        readiness.markNotReady("informers", reason: "waiting for the first list of every watched resource")
        let probes = GatewayProbes()
        let daemon = GatewayDaemon(
            configuration: .init(nodeName: nodeName, namespace: podNamespace, secretNamespace: secretNamespace ?? podNamespace,
                                 node: node),
            client: client, identity: nodeIdentity, probes: probes, implementations: implementations, logger: logger)
        let drain = lbProbeDrainDelaySeconds > 0 ? lbProbeDrainDelaySeconds : 10
        // Stopped in reverse order: the probe server drains first, the daemon (and its userspace
        // tunnels) goes last.
        let services: [any Service] = [
            GatewayDaemonService(daemon: daemon) { readiness.markReady("informers") },
            OperationalServer(port: metricsBindPort, metrics: observability.metrics, logger: logger),
            OperationalServer(port: healthProbeBindPort, readiness: readiness, logger: logger),
            LoadBalancerProbeServer(port: gatewayLbProbePort, probes: probes, drainDelay: .seconds(drain), logger: logger),
        ]
        let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint],
                                                      logger: logger))
        try await group.run()
    }

    private func required(_ environment: [String: String], _ name: String) throws -> String {
        guard let value = environment[name], !value.isEmpty else {
            throw ValidationError("environment variable \(name) must be set (the pod spec passes it from the downward API)")
        }
        return value
    }
}

/// `--wireguard-backend`.
enum WireGuardBackendChoice: String, ExpressibleByArgument, CaseIterable {
    case automatic, kernel, userspace

    var backend: WireGuardOptions.Backend {
        switch self {
        case .automatic: .automatic
        case .kernel: .kernel
        case .userspace: .userspace
        }
    }
}

/// Where the node's identity comes from: the instance metadata service, or, off Azure (the
/// sandbox), the values given here.
struct NodeIdentityOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The instance metadata service's base URL.", visibility: .hidden))
    var imdsEndpoint = IMDSClient.defaultEndpoint

    @Option(help: ArgumentHelp("Use this computer name instead of asking the instance metadata service.", visibility: .hidden))
    var computerName: String?

    @Option(help: .hidden)
    var vmScaleSetName = ""

    @Option(help: .hidden)
    var resourceGroupName = ""

    @Option(help: ArgumentHelp("VM tags as IMDS gives them (k1:v1;k2:v2).", visibility: .hidden))
    var vmTags = ""

    func source(userAgent: String, logger: Logger) throws -> any NodeIdentitySource {
        guard let computerName else {
            return IMDSNodeIdentity(client: try IMDSClient(endpoint: imdsEndpoint, userAgent: userAgent, logger: logger))
        }
        return FixedNodeIdentity(NodeIdentity(computerName: computerName, vmScaleSetName: vmScaleSetName,
                                              resourceGroupName: resourceGroupName, tagText: vmTags))
    }
}
