import ArgumentParser
import Foundation
import Sandbox

/// `egressgw-sandbox up`: builds the network, starts the supervisor, and returns once every role runs.
struct UpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up",
        abstract: "Build the sandbox and start the system: VNet fabric, nodes, Internet, API server, Azure, every role.")

    @Option(help: "Number of worker nodes.") var workers = 2
    @Option(help: "Number of gateway nodes.") var gateways = 2
    @Option(help: "Directory of the state file, kubeconfig and logs.") var stateDirectory = SandboxRun.defaultDirectory
    @Option(help: "The egressgw binary the roles run (default: the one next to this program).") var egressgw: String?
    @Option(help: "deploy/default of the checkout.") var deployDirectory = "deploy/default"
    @Option(help: "Seconds to wait for the supervisor.") var timeout = 180

    func run() async throws {
        if try SandboxRun.load(from: stateDirectory) != nil {
            throw SandboxError.leftovers([SandboxRun.path(in: stateDirectory)])
        }
        let found = Topology.leftovers(matching: "egsb-")
        guard found.isEmpty else { throw SandboxError.leftovers(found) }
        guard FileManager.default.fileExists(atPath: deployDirectory + "/kustomization.yaml") else {
            throw ValidationError("--deploy-directory: no kustomization.yaml in \(deployDirectory); run from the repository root")
        }
        let egressgw = egressgw ?? ServeCommand.sibling("egressgw")
        guard FileManager.default.isExecutableFile(atPath: egressgw) else {
            throw ValidationError("--egressgw: \(egressgw) is not an executable; build it first (make build)")
        }
        let runID = String(UInt32.random(in: 0x1000..<0x10000), radix: 16)
        var run = SandboxRun(runID: runID, workers: workers, gateways: gateways)
        let layout = try run.layout()
        run.files = [stateDirectory]
        try run.save(to: stateDirectory)
        try Topology.create(layout)

        let log = stateDirectory + "/supervisor.log"
        let pid = try SandboxProcess.startDetached(
            ServeCommand.sibling("egressgw-sandbox"),
            ["serve", "--state-directory", stateDirectory, "--egressgw", egressgw, "--deploy-directory", deployDirectory],
            logFile: log)
        // Until the supervisor records itself, `down` finds it here.
        run.processes["supervisor"] = pid
        try run.save(to: stateDirectory)

        let deadline = Date().addingTimeInterval(TimeInterval(timeout))
        var recorded = run
        while recorded.apiServer == nil, Date() < deadline {
            try await Task.sleep(for: .milliseconds(250))
            recorded = (try? SandboxRun.load(from: stateDirectory)) ?? recorded
            if let supervisor = recorded.processes["supervisor"], !SandboxProcess.isAlive(supervisor) { break }
        }
        guard let apiServer = recorded.apiServer, let kubeconfig = recorded.kubeconfig else {
            let tail = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").suffix(15).joined(separator: "\n")
            throw SandboxError.step("start the supervisor", cause: SandboxError.request(
                target: "supervisor", reason: "not up after \(timeout) s or exited; run `egressgw-sandbox down`. \(log) ends with:\n\(tail)"))
        }
        print("sandbox \(layout.prefix) is up: \(layout.workers.count) workers, \(layout.gateways.count) gateways, API server \(apiServer)")
        print("  kubectl --kubeconfig \(kubeconfig) get nodes")
        print("  logs: \(stateDirectory)/supervisor.log and \(stateDirectory)/logs/ (one file per process)")
        print("  echo server: http://\(SandboxLayout.echoAddress)/ (from any node namespace)")
        print("  egressgw-sandbox status; egressgw-sandbox demo; egressgw-sandbox down")
    }
}
