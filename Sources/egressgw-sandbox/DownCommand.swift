import ArgumentParser
import Foundation
import Sandbox

/// `egressgw-sandbox down`: stops every process of the run and removes every namespace, link and file.
struct DownCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "down", abstract: "Remove the sandbox: processes, namespaces, links, files (also leftovers without a state file).")

    @Option(help: "Directory of the state file.") var stateDirectory = SandboxRun.defaultDirectory

    func run() async throws {
        var failures: [String] = []
        if let run = try SandboxRun.load(from: stateDirectory) {
            for (name, pid) in run.processes.sorted(by: { $0.key < $1.key }) where !SandboxProcess.stop(pid) {
                failures.append("process \(name) (pid \(pid)) did not exit")
            }
            failures += Topology.destroy(try run.layout())
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
