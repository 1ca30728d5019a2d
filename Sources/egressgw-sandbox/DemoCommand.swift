import ArgumentParser
import EgressGatewayAPI
import Foundation
import Kube
import Netlink
import Sandbox

/// `egressgw-sandbox demo`: on a running sandbox, applies docs/samples (an SGC in public mode, one
/// annotated pod, one plain pod) with kubectl, waits until they are ready, has each pod fetch the
/// echo server, and prints a summary and one `DEMO-RESULT {...}` line. Fails when a pod did not
/// leave from where it should: the annotated one from the SGC's egress prefix, the plain one from its node.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo", abstract: "Apply docs/samples to the running sandbox and show where each pod's traffic leaves from.")

    @Option(help: "Directory of the state file.") var stateDirectory = SandboxRun.defaultDirectory
    @Option(help: "docs/samples of the checkout.") var samples = "docs/samples"
    @Option(help: "Seconds to wait for the SGC and the pods.") var timeout = 300

    func run() async throws {
        guard let run = try SandboxRun.load(from: stateDirectory), let kubeconfig = run.kubeconfig else {
            throw SandboxError.stateFile(path: SandboxRun.path(in: stateDirectory), reason: "no running sandbox; use `egressgw-sandbox up`")
        }
        let layout = try run.layout()
        let kubectl = { (arguments: [String]) throws in
            let output = try NetworkNamespace.process.execute("kubectl", ["--kubeconfig", kubeconfig] + arguments)
            print(output.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
            guard output.exitCode == 0 else {
                throw SandboxError.request(target: "kubectl \(arguments.joined(separator: " "))", reason: output.stderr)
            }
        }
        print("== applying \(samples): an SGC in public mode, one annotated pod, one plain pod")
        try kubectl(["create", "namespace", "demo"])
        try kubectl(["apply", "-f", "\(samples)/sgc-public.yaml", "-f", "\(samples)/pod-annotated.yaml", "-f", "\(samples)/pod-plain.yaml"])

        var configuration = try KubeConfig.load(file: kubeconfig).clientConfiguration(environment: [:])
        configuration.proxy = .none
        let client = try KubeClient(configuration: configuration)
        let sgcs = client.resource(StaticGatewayConfiguration.self, namespace: "demo")
        let pods = client.resource(Pod.self, namespace: "demo")
        print("== waiting for the SGC to be Ready and the pods to run (the operator provisions Azure, the gateways their tunnels)")
        let started = ContinuousClock.now
        let deadline = started + .seconds(timeout)
        var prefix = ""
        var running: [Pod] = []
        while ContinuousClock.now < deadline {
            let sgc = try? await sgcs.get("egress-public")
            prefix = sgc?.status.egressIpPrefix ?? ""
            running = ((try? await pods.list().items) ?? []).filter { !$0.status.podIP.isEmpty }
            if !prefix.isEmpty, running.count >= 2 { break }
            try await Task.sleep(for: .seconds(1))
        }
        guard !prefix.isEmpty, running.count >= 2 else {
            throw SandboxError.request(target: "demo", reason: "not ready after \(timeout) s (egress prefix \"\(prefix)\", \(running.count) pods running); see \(stateDirectory)/logs")
        }
        print("   ready after \((ContinuousClock.now - started).components.seconds) s; egress prefix \(prefix)")

        var results: [DemoPod] = []
        var problems: [String] = []
        for pod in running.sorted(by: { $0.metadata.name < $1.metadata.name }) {
            let annotated = pod.metadata.annotations[EgressGateway.podAnnotation] != nil
            let node = layout.node(named: pod.spec.nodeName)
            // The annotated pod's first requests may race the load balancer's probes: retry until it leaves as it should.
            var source = ""
            while ContinuousClock.now < deadline {
                source = (try? await fetch(pod)) ?? ""
                let expected = annotated ? Self.prefix(prefix, contains: source) : source == node?.primaryIP.description
                if expected { break }
                try await Task.sleep(for: .seconds(1))
            }
            let expected = annotated ? "an address of \(prefix)" : "its node \(pod.spec.nodeName) (\(node?.primaryIP.description ?? "?"))"
            let good = annotated ? Self.prefix(prefix, contains: source) : source == node?.primaryIP.description
            print("   pod demo/\(pod.metadata.name) on \(pod.spec.nodeName), \(annotated ? "annotated" : "plain"): the echo server saw \(source.isEmpty ? "nothing" : source) (expected \(expected))")
            if !good { problems.append("demo/\(pod.metadata.name) left from \"\(source)\", expected \(expected)") }
            results.append(DemoPod(namespace: "demo", name: pod.metadata.name, annotated: annotated, sourceIP: source))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let line = String(decoding: try encoder.encode(DemoResult(egressIpPrefix: prefix, pods: results)), as: UTF8.self)
        print("DEMO-RESULT \(line)")
        if !problems.isEmpty { throw SandboxError.request(target: "demo", reason: problems.joined(separator: "; ")) }
    }

    private func fetch(_ pod: Pod) async throws -> String {
        guard let netns = SandboxCluster.podNamespace(uid: pod.metadata.uid, stateDirectory: stateDirectory) else {
            throw SandboxError.request(target: "pod \(pod.metadata.name)", reason: "no network namespace")
        }
        return try await SandboxCluster.fetchEcho(from: netns)
    }

    /// Whether `address` is in the egress prefix: a CIDR (public mode) or a comma-separated list (private mode).
    static func prefix(_ prefix: String, contains address: String) -> Bool {
        guard let ip = IPAddress(address) else { return false }
        return prefix.split(separator: ",").contains { item in
            let text = item.trimmingCharacters(in: .whitespaces)
            return IPNetwork(text)?.contains(ip) ?? (IPAddress(text) == ip)
        }
    }
}

struct DemoPod: Encodable {
    var namespace: String
    var name: String
    var annotated: Bool
    var sourceIP: String
}

struct DemoResult: Encodable {
    var egressIpPrefix: String
    var pods: [DemoPod]
}
