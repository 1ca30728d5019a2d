import ArgumentParser
import Foundation
import Sandbox

/// `egressgw-sandbox up`: builds the network, starts the supervisor, records the run.
struct UpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up", abstract: "Build the sandbox: VNet fabric, nodes, Internet, supervisor (API server, echo server, fabric).")

    @Option(help: "Number of worker nodes.") var workers = 2
    @Option(help: "Number of gateway nodes.") var gateways = 2
    @Option(help: "Directory of the state file, kubeconfig and logs.") var stateDirectory = SandboxRun.defaultDirectory

    func run() async throws {
        if try SandboxRun.load(from: stateDirectory) != nil {
            throw SandboxError.leftovers([SandboxRun.path(in: stateDirectory)])
        }
        let found = Topology.leftovers(matching: "egsb-")
        guard found.isEmpty else { throw SandboxError.leftovers(found) }
        let runID = String(UInt32.random(in: 0x1000..<0x10000), radix: 16)
        var run = SandboxRun(runID: runID, workers: workers, gateways: gateways)
        let layout = try run.layout()
        try run.save(to: stateDirectory)
        try Topology.create(layout)

        let log = stateDirectory + "/supervisor.log"
        let kubeconfig = stateDirectory + "/kubeconfig"
        let pid = try SandboxProcess.startDetached(
            CommandLine.arguments[0].hasPrefix("/") ? CommandLine.arguments[0] : Bundle.main.executablePath ?? CommandLine.arguments[0],
            ["serve", "--state-directory", stateDirectory], logFile: log)
        run.processes["supervisor"] = pid
        try run.save(to: stateDirectory)

        let deadline = Date().addingTimeInterval(30)
        while !FileManager.default.fileExists(atPath: kubeconfig), SandboxProcess.isAlive(pid), Date() < deadline {
            try await Task.sleep(for: .milliseconds(100))
        }
        guard FileManager.default.fileExists(atPath: kubeconfig) else {
            throw SandboxError.step("start the supervisor", cause: SandboxError.request(target: "supervisor", reason: "no kubeconfig after 30 s; see \(log)"))
        }
        // The supervisor recorded the API server and its pid; add the files to its copy.
        if var recorded = try SandboxRun.load(from: stateDirectory) {
            recorded.files = [kubeconfig, log]
            try recorded.save(to: stateDirectory)
        }
        print("sandbox \(layout.prefix) is up: \(layout.workers.count) workers, \(layout.gateways.count) gateways")
        print("  kubectl --kubeconfig \(kubeconfig) get nodes")
        print("  echo server: http://\(SandboxLayout.echoAddress)/ (from any node namespace)")
        print("  egressgw-sandbox status; egressgw-sandbox down")
    }
}
