import ArgumentParser
import Dispatch
import Foundation
import Logging
import Sandbox
import Synchronization

/// `egressgw-sandbox serve`: the supervisor `up` starts in the background. Runs the whole system
/// (``SandboxCluster``) on the run's topology until SIGTERM, then stops it and every process.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Run the sandbox supervisor (started by `up`).", shouldDisplay: false)

    @Option(help: "Directory of the state file.") var stateDirectory = SandboxRun.defaultDirectory
    @Option(help: "API server port on the control address.") var apiPort = 6443
    @Option(help: "The egressgw binary the roles run (default: the one next to this program).") var egressgw: String?
    @Option(help: "deploy/default of the checkout (rendered with kubectl kustomize).") var deployDirectory = "deploy/default"

    func run() async throws {
        var logger = Logger(label: "egressgw-sandbox")
        logger.logLevel = .info
        guard var run = try SandboxRun.load(from: stateDirectory) else {
            throw SandboxError.stateFile(path: SandboxRun.path(in: stateDirectory), reason: "no run recorded; use `up`")
        }
        let directory = stateDirectory
        let recorder = RunRecorder(run: run, directory: directory, supervisor: getpid())
        let options = SandboxOptions(
            layout: try run.layout(), stateDirectory: stateDirectory, egressgw: egressgw ?? Self.sibling("egressgw"),
            deployDirectory: URL(fileURLWithPath: deployDirectory).standardizedFileURL.path, apiPort: apiPort)
        // SIGTERM (from `down`) must reach the shutdown below, not end the process.
        let stop = Self.signals([SIGTERM, SIGINT])
        let cluster = try await SandboxCluster.start(options, logger: logger) { pids in recorder.update(processes: pids) }
        run = recorder.update(apiServer: cluster.controlPlane.url, kubeconfig: directory + "/kubeconfig")
        logger.info("sandbox \(options.layout.prefix) is up", metadata: ["api": "\(run.apiServer ?? "")"])
        await stop.value
        logger.info("stopping the sandbox")
        let failures = await cluster.shutdown()
        for failure in failures { logger.error("not removed: \(failure)") }
        recorder.update(processes: [:])
    }

    /// A file next to this program (the build directory holds both executables).
    static func sibling(_ name: String) -> String {
        let own = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: own).deletingLastPathComponent().appendingPathComponent(name).path
    }

    /// A task that ends at the first of `signals`.
    static func signals(_ signals: [Int32]) -> Task<Void, Never> {
        let (stream, continuation) = AsyncStream<Void>.makeStream()
        var sources: [any DispatchSourceSignal] = []
        for number in signals {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield() }
            source.resume()
            sources.append(source)
        }
        return Task {
            for await _ in stream { break }
            sources.forEach { $0.cancel() }
        }
    }
}

/// The supervisor's writes of the state file, one at a time.
final class RunRecorder: Sendable {
    private let state: Mutex<SandboxRun>
    private let directory: String

    init(run: SandboxRun, directory: String, supervisor: Int32) {
        var run = run
        run.processes["supervisor"] = supervisor
        state = Mutex(run)
        self.directory = directory
        try? run.save(to: directory)
    }

    /// Replaces every pid but the supervisor's.
    func update(processes: [String: Int32]) {
        save { run in
            let supervisor = run.processes["supervisor"]
            run.processes = processes
            run.processes["supervisor"] = supervisor
        }
    }

    @discardableResult
    func update(apiServer: String, kubeconfig: String) -> SandboxRun {
        save { run in
            run.apiServer = apiServer
            run.kubeconfig = kubeconfig
        }
    }

    @discardableResult
    private func save(_ change: (inout SandboxRun) -> Void) -> SandboxRun {
        state.withLock { run in
            change(&run)
            try? run.save(to: directory)
            return run
        }
    }
}
