import ArgumentParser
import Azure
import HTTPClient
import Kube
import Logging
import Observability
import Operator
import ServiceLifecycle
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `egressgw operator`: the controller Deployment (kube-egress-gateway-controller), with its flags and ports.
struct OperatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "operator",
        abstract: "The operator: key Secrets, the gateway load balancer, gateway ipconfigs and public IP prefixes.",
        discussion: "Flags, ports and the leader-election Lease are those of kube-egress-gateway-controller."
    )

    @Option(help: "Azure cloud config file (azure.json); read by the load-balancer and VM controllers.")
    var cloudConfig = "/etc/kubernetes/kube-egress-gateway/azure.json"

    @Option(help: "Port of the Prometheus /metrics endpoint.")
    var metricsBindPort = 8080

    @Option(help: "Port of the /healthz and /readyz endpoints.")
    var healthProbeBindPort = 8081

    @Option(help: "Port of the gateway daemons' probe server, written into each load balancer probe.")
    var gatewayLbProbePort: Int32 = 8082

    @Flag(inversion: .prefixedNo, help: "Run the controllers only while holding the leader Lease.")
    var leaderElect = false

    @Option(help: "Namespace of the leader Lease (default: $MY_POD_NAMESPACE).")
    var leaderElectionNamespace: String?

    @Option(help: "Namespace of the WireGuard key Secrets (default: $MY_POD_NAMESPACE).")
    var secretNamespace: String?

    @Option(help: "kubeconfig file (default: $KUBECONFIG, in-cluster, ~/.kube/config).")
    var kubeconfig: String?

    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        let observability = logging.observability(label: "egressgw.operator")
        let logger = observability.logger
        let environment = ProcessInfo.processInfo.environment
        let podNamespace = environment["MY_POD_NAMESPACE"] ?? ""
        let secretNamespace = secretNamespace ?? podNamespace
        guard !secretNamespace.isEmpty else {
            throw ValidationError("--secret-namespace or MY_POD_NAMESPACE is required")
        }
        // A broken cloud config is the likeliest start-up failure: report it before anything else is set up.
        let azure: CloudConfig
        do {
            azure = try CloudConfig.load(path: cloudConfig, environment: environment)
        } catch {
            throw error.naming(file: cloudConfig)
        }
        var kube = try KubeClientConfiguration.load(kubeconfig: kubeconfig, environment: environment)
        kube.userAgent = KubeClientConfiguration.userAgent(version: BuildInfo.version, role: "operator")
        let client = try KubeClient(configuration: kube)
        let cloud = CloudTarget(azure)
        let settings = OperatorSettings(secretNamespace: secretNamespace, podNamespace: podNamespace,
                                        gatewayLBProbePort: gatewayLbProbePort, cloud: cloud)
        let fabric = AzureGatewayFabric(arm: try Self.armClient(azure, logger: logger), cloud: cloud)
        let manager = OperatorManager(client: client, settings: settings, fabric: fabric, logger: logger)
        var election: LeaderElector?
        if leaderElect {
            let namespace = leaderElectionNamespace ?? podNamespace
            guard !namespace.isEmpty else {
                throw ValidationError("--leader-election-namespace or MY_POD_NAMESPACE is required with --leader-elect")
            }
            election = LeaderElector(client: client, configuration: .init(
                leaseName: OperatorManager.leaseName, namespace: namespace,
                identity: "\(environment["HOSTNAME"] ?? "egressgw-operator")_\(UUID().uuidString.lowercased())"))
        }
        let services: [any Service] = [
            OperationalServer(port: metricsBindPort, metrics: observability.metrics, logger: logger),
            OperationalServer(port: healthProbeBindPort, readiness: Readiness(), logger: logger),
            ControllersService(manager: manager, election: election),
        ]
        try await ServiceGroup(configuration: .init(
            services: services.map { .init(service: $0, successTerminationBehavior: .gracefullyShutdownGroup,
                                           failureTerminationBehavior: .gracefullyShutdownGroup) },
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)).run()
    }
}

extension OperatorCommand {
    /// The ARM client of the cloud config: its cloud's endpoints, the credential the Go operator would pick, and
    /// its rate limits and user agent.
    static func armClient(_ config: CloudConfig, logger: Logger) throws -> ARMClient {
        let environment = try config.azureEnvironment()
        let http = try HTTPClient()
        let credential = try config.credential(environment: environment, http: http, imds: try IMDSClient(logger: logger))
        return ARMClient(environment: environment, credential: credential, http: http, configuration: .init(
            subscriptionID: config.subscriptionId, rateLimit: config.rateLimit, userAgent: config.effectiveUserAgent),
            logger: logger)
    }

    /// Go's flag package also takes `--leader-elect=true|false`, which the Helm chart passes; rewritten to the
    /// `--leader-elect` / `--no-leader-elect` pair before parsing.
    static func goStyleBooleans(_ arguments: [String]) -> [String] {
        arguments.map { argument in
            switch argument {
            case "--leader-elect=true", "-leader-elect=true", "-leader-elect": "--leader-elect"
            case "--leader-elect=false", "-leader-elect=false": "--no-leader-elect"
            default: argument
            }
        }
    }
}

/// The controllers as a service of the group: cancelled on SIGTERM, which releases the Lease.
private struct ControllersService: Service {
    let manager: OperatorManager
    let election: LeaderElector?

    func run() async throws {
        try await cancelOnGracefulShutdown { try await manager.run(election: election) }
    }
}

extension CloudConfigError {
    /// The error with the file named: a failed check names only the field.
    fileprivate func naming(file path: String) -> CloudConfigError {
        guard case .validation(let message) = self else { return self }
        return .invalid(source: path, field: "", reason: message)
    }
}
