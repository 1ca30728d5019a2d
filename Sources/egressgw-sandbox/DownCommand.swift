import ArgumentParser
import Foundation
import Sandbox

/// `egressgw-sandbox down`: stops the supervisor (which stops its roles and pods), then removes
/// whatever is left: processes, mounts, namespaces, links, files; also runs without a state file.
struct DownCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "down", abstract: "Remove the sandbox: processes, namespaces, links, files (also leftovers without a state file).")

    @Option(help: "Directory of the state file.") var stateDirectory = SandboxRun.defaultDirectory

    func run() async throws {
        var failures: [String] = []
        if let run = try SandboxRun.load(from: stateDirectory) {
            // The supervisor tears its pods down and stops its roles, the gateways after their probe drain.
            if let supervisor = run.processes["supervisor"], !SandboxProcess.stop(supervisor, grace: 90) {
                failures.append("supervisor (pid \(supervisor)) did not exit")
            }
            let layout = try run.layout()
            failures += await SandboxCluster.removeLeftovers(of: layout, stateDirectory: stateDirectory,
                                                            processes: (try SandboxRun.load(from: stateDirectory) ?? run).processes)
            failures += Topology.destroy(layout)
        }
        // Runs whose state file is gone: their run IDs are in the namespace names.
        for leftover in Topology.leftovers(matching: "egsb-") {
            let name = leftover.split(separator: " ").last.map(String.init) ?? ""
            let parts = name.split(separator: "-")
            guard parts.count >= 2, let layout = try? SandboxLayout(runID: String(parts[1]), workers: 50, gateways: 50) else { continue }
            failures += Topology.destroy(layout)
        }
        if FileManager.default.fileExists(atPath: stateDirectory) {
            do { try FileManager.default.removeItem(atPath: stateDirectory) } catch { failures.append("\(stateDirectory): \(error)") }
        }
        let remaining = Topology.leftovers(matching: "egsb-")
        guard failures.isEmpty, remaining.isEmpty else {
            throw SandboxError.step("remove the sandbox", cause: SandboxError.leftovers(failures + remaining))
        }
        print("sandbox removed; nothing left")
    }
}
