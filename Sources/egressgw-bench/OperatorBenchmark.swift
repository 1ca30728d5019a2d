import ARMEmulator
import ArgumentParser
import Azure
import EgressGatewayAPI
import Foundation
import HTTPClient
import Kube
import KubeEmulator
import Logging
import Operator

/// A wave of SGCs created together, as a GitOps sync or a Helm install makes one: the operator runs in this process
/// against the KubeEmulator and the ARMEmulator (both over loopback HTTP), whose writes are long-running operations
/// of `--lro-delay`. Reports the time until every SGC is Ready and the ARM writes the wave cost, where the Go
/// operator needs one VMSS model PUT (and one PUT per instance) per SGC.
struct OperatorBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "operator",
        abstract: "Time a wave of SGCs until Ready and count its VMSS model, instance and load balancer PUTs.")

    @Option(help: "SGCs created together.")
    var sgcs = 10

    @Option(help: "Gateway VMSS pools the SGCs are spread over (round robin).")
    var pools = 1

    @Option(help: "Instances per gateway pool.")
    var instances = 2

    @Option(help: "How long each ARM write takes to finish (whole seconds, such as 2s; 0s answers at once).")
    var lroDelay = "2s"

    func validate() throws {
        guard (1...500).contains(sgcs) else { throw ValidationError("--sgcs must be between 1 and 500") }
        guard (1...20).contains(pools) else { throw ValidationError("--pools must be between 1 and 20") }
        guard (1...50).contains(instances) else { throw ValidationError("--instances must be between 1 and 50") }
        guard lroSeconds != nil else { throw ValidationError("--lro-delay must be whole seconds, such as 2s (got \(lroDelay))") }
    }

    private var lroSeconds: Int? {
        guard lroDelay.hasSuffix("s"), let seconds = Int(lroDelay.dropLast()), (0...600).contains(seconds) else { return nil }
        return seconds
    }

    static let subscription = "1f7e3c2a-0000-4000-8000-000000000001"
    static let group = "MC_bench_cluster_eastus"
    static let secretNamespace = "kube-egress-gateway-system"

    func run() async throws {
        var quiet = Logger(label: "egressgw-bench.operator")
        quiet.logLevel = .critical

        // The emulator answers a write with an operation that finishes after `seconds` polls one second apart.
        var armConfiguration = ARMEmulator.Configuration()
        let seconds = lroSeconds ?? 0
        armConfiguration.operationPolls = seconds
        armConfiguration.pollRetryAfterSeconds = seconds > 0 ? 1 : 0
        let arm = ARMEmulator(configuration: armConfiguration, logger: quiet)
        _ = try arm.apply(try Seed(yaml: seed()))
        let armServer = try await arm.start()
        let kube = try await KubeEmulator(logger: quiet).start()
        defer {
            Task {
                await armServer.stop()
                await kube.stop()
            }
        }

        let client = try KubeClient(configuration: KubeClientConfiguration(
            server: kube.url, credentials: .none, namespace: "default",
            userAgent: KubeClientConfiguration.userAgent(version: "bench", role: "egressgw-bench"), proxy: .none))
        for crd in CustomResourceDefinitions.all { _ = try await client.resource(CustomResourceDefinition.self).create(crd) }
        _ = try await client.resource(Namespace.self).create(Namespace(name: Self.secretNamespace))

        let cloud = CloudTarget(subscriptionID: Self.subscription, resourceGroup: Self.group, location: "eastus",
                                vnetName: "aks-vnet", subnetName: "aks-subnet")
        let environment = AzureEnvironment(name: "bench", resourceManagerEndpoint: armServer.url,
                                           authorityHost: armServer.url, tokenAudience: "https://management.core.windows.net/")
        let armClient = ARMClient(environment: environment, credential: BenchCredential(),
                                  http: try HTTPClient(configuration: .init(proxy: .none)),
                                  configuration: .init(subscriptionID: Self.subscription), logger: quiet)
        let manager = OperatorManager(
            client: client,
            settings: OperatorSettings(secretNamespace: Self.secretNamespace, podNamespace: Self.secretNamespace, cloud: cloud),
            fabric: AzureGatewayFabric(arm: armClient, cloud: cloud), logger: quiet)
        let running = Task { await manager.run() }
        defer { running.cancel() }
        print("operator against the KubeEmulator and the ARMEmulator in this process (loopback HTTP); "
              + "\(sgcs) SGCs over \(pools) VMSS pool(s) of \(instances) instances; ARM writes take \(seconds) s")

        let api = client.resource(StaticGatewayConfiguration.self, namespace: "default")
        let names = (0..<sgcs).map { "bench-\($0)" }
        let poolCount = pools
        let clock = ContinuousClock()
        let started = clock.now
        try await withThrowingDiscardingTaskGroup { group in
            for (index, name) in names.enumerated() {
                group.addTask {
                    _ = try await api.create(StaticGatewayConfiguration(
                        metadata: ObjectMeta(name: name, namespace: "default"),
                        spec: .init(gatewayNodepoolName: "gwpool\(index % poolCount)")))
                }
            }
        }
        while try await api.list().items.filter({ $0.status.readyCondition?.status == .true }).count < sgcs {
            try await Task.sleep(for: .milliseconds(50))
        }
        let ready = clock.now - started
        report("create", elapsed: ready, log: arm.requestLog)

        arm.clearRequestLog()
        let deleting = clock.now
        for name in names { _ = try await api.delete(name) }
        let vmConfigurations = client.resource(GatewayVMConfiguration.self, namespace: "default")
        let lbConfigurations = client.resource(GatewayLBConfiguration.self, namespace: "default")
        while true {
            let left = try await api.list().items.count + lbConfigurations.list().items.count
                + vmConfigurations.list().items.count
            if left == 0 { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        report("delete", elapsed: clock.now - deleting, log: arm.requestLog)
    }

    private func report(_ phase: String, elapsed: Duration, log: [ARMEmulator.RequestRecord]) {
        func puts(_ kind: ResourceKind) -> Int { log.filter { $0.method == "PUT" && $0.kind == kind }.count }
        let goModelPUTs = sgcs
        print("\(phase): \(sgcs) SGCs \(phase == "create" ? "Ready" : "gone") after \(ProcessMeasurements.format(elapsed)); "
              + "VMSS model PUTs \(puts(.scaleSet)) (Go: \(goModelPUTs)), instance PUTs \(puts(.scaleSetVM)) "
              + "(Go: \(goModelPUTs * instances)), LB PUTs \(puts(.loadBalancer)), "
              + "LB DELETEs \(log.filter { $0.method == "DELETE" && $0.kind == .loadBalancer }.count), "
              + "ARM requests \(log.count) (\(log.filter(\.isWrite).count) writes)")
    }

    private func seed() -> String {
        var scaleSets = "      - {name: aks-nodepool1-12345678-vmss, pool: nodepool1, subnet: aks-vnet/aks-subnet, instances: 1}\n"
        for pool in 0..<pools {
            scaleSets += "      - {name: aks-gwpool\(pool)-12345678-vmss, pool: gwpool\(pool), gatewayPrefixLength: 31, "
                + "subnet: aks-vnet/aks-subnet, instances: \(instances)}\n"
        }
        return """
            subscription: \(Self.subscription)
            location: eastus
            resourceGroups:
              - name: \(Self.group)
                virtualNetworks:
                  - name: aks-vnet
                    addressPrefixes: [10.224.0.0/12]
                    subnets: [{name: aks-subnet, addressPrefix: 10.224.0.0/16}]
                scaleSets:

            """ + scaleSets
    }
}

/// The emulator checks no tokens here.
private struct BenchCredential: TokenCredential {
    func token() async throws(CredentialError) -> AccessToken { AccessToken(token: "bench", expiresOn: .distantFuture) }
    var description: String { "fixed benchmark token" }
}
