import ArgumentParser
import Foundation
import Netlink
import Sandbox

/// `egressgw-sandbox status`: what the state file says and whether the kernel and processes agree.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show the sandbox run and check its pieces.")

    @Option(help: "Directory of the state file.") var stateDirectory = SandboxRun.defaultDirectory

    func run() async throws {
        guard let run = try SandboxRun.load(from: stateDirectory) else {
            let found = Topology.leftovers(matching: "egsb-")
            print(found.isEmpty ? "no sandbox" : "no state file, but leftovers: \(found.joined(separator: ", ")) (run `egressgw-sandbox down`)")
            return
        }
        let layout = try run.layout()
        print("sandbox \(layout.prefix): \(run.workers) workers, \(run.gateways) gateways")
        if let kubeconfig = run.kubeconfig { print("  kubeconfig \(kubeconfig) (API server \(run.apiServer ?? "?"))") }
        for (name, pid) in run.processes.sorted(by: { $0.key < $1.key }) {
            print("  process \(name) pid \(pid): \(SandboxProcess.isAlive(pid) ? "running" : "NOT RUNNING")")
        }
        for name in layout.namespaces {
            let exists = NetworkNamespace(path: "\(NetworkNamespace.runDirectory)/\(name)").exists
            let node = layout.nodes.first { $0.namespace == name }
            print("  netns \(name)\(node.map { " (\($0.name) \($0.primaryIP))" } ?? ""): \(exists ? "present" : "MISSING")")
        }
    }
}
