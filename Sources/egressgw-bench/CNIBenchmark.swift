import ArgumentParser
import Foundation
import Kube
import Logging
import Netlink
import Observability
import WireGuard

/// The latency of our CNI plugin alone as a container runtime runs it: for every pod, a fresh
/// network namespace gets its `eth0` from the main plugin (not counted), then the built `egressgw`
/// binary is executed as `egressgw-cni` for ADD and later DEL, N pods at a time. The cni-manager and
/// the KubeEmulator run in this process; the plugin's peak memory comes from separate runs under
/// GNU time. Everything made is removed at the end, also after a failure or Ctrl-C.
struct CNIBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cni",
        abstract: "Time the egressgw-cni plugin's ADD and DEL for N pods at given parallelism, and its peak memory.")

    @Option(help: "Pods per parallelism level (each gets a fresh network namespace).")
    var pods = 200

    @Option(help: "Comma-separated parallelism levels: plugin calls in flight at once.")
    var parallel = "1,8"

    // Each userspace WireGuard daemon holds an inotify instance, and root may have 128 by default
    // (fs.inotify.max_user_instances), shared with everything else on the machine.
    @Option(help: "Pods attached at once: pods go through ADD and DEL in rounds of this many (userspace WireGuard needs an inotify instance per pod).")
    var attached = 100

    @Option(help: "Pods whose ADD and DEL run once more under /usr/bin/time for the plugin's peak RSS (0: skip).")
    var memorySamples = 10

    @Option(help: "The egressgw binary to run as the plugin (default: the one next to this program).")
    var egressgw: String?

    @Flag(inversion: .prefixedNo,
          help: "Pass the pod's annotations in runtimeConfig as containerd does; without, the plugin asks the cni-manager (CRI-O).")
    var runtimeAnnotations = true

    @Option(help: "The plugin's log level (trace, debug, info, …); with debug the report takes ADD and DEL apart by step.")
    var pluginLogLevel: String?

    /// Where the release figures are to land (the issue's targets), printed next to the results.
    static let addTargets = (p50: Duration.milliseconds(30), p99: Duration.milliseconds(100), parallelism: 8)

    var levels: [Int] { parallel.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

    func validate() throws {
        guard (1...5_000).contains(pods) else { throw ValidationError("--pods must be between 1 and 5000") }
        guard !levels.isEmpty, levels.count == parallel.split(separator: ",").count, levels.allSatisfy({ (1...256).contains($0) }) else {
            throw ValidationError("--parallel must be a comma-separated list of numbers between 1 and 256, like 1,8")
        }
        guard (1...5_000).contains(attached) else { throw ValidationError("--attached must be between 1 and 5000") }
        guard (0...1_000).contains(memorySamples) else { throw ValidationError("--memory-samples must be between 0 and 1000") }
        if let pluginLogLevel, Logger.Level(rawValue: pluginLogLevel) == nil {
            throw ValidationError("--plugin-log-level must be one of " + Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))
        }
    }

    func run() async throws {
        guard getuid() == 0 else { throw CNIBenchError.needsRoot }
        for plugin in ["bridge", "host-local"] where access("\(CNIBenchNode.referencePlugins)/\(plugin)", X_OK) != 0 {
            throw CNIBenchError.missingProgram("\(CNIBenchNode.referencePlugins)/\(plugin)", purpose: "as the main CNI (Debian's containernetworking-plugins)")
        }
        let binary = egressgw ?? Self.siblingExecutable("egressgw")
        guard access(binary, X_OK) == 0 else {
            throw CNIBenchError.missingProgram(binary, purpose: "as the plugin (build the egressgw product, or pass --egressgw)")
        }
        let leftovers = BenchLeftovers()
        let benchmark = Task { try await measure(egressgw: binary, leftovers: leftovers) }
        let trap = InterruptTrap { benchmark.cancel() }
        let outcome = await benchmark.result
        // Still trapped while cleaning up: a second Ctrl-C must not cut the cleanup short.
        let problems = withExtendedLifetime(trap) { leftovers.removeAll() }
        print(problems.isEmpty ? "cleanup: removed every namespace, directory and daemon the run made"
                               : "cleanup problems:\n  " + problems.joined(separator: "\n  "))
        do {
            try outcome.get()
        } catch is CancellationError {
            print("interrupted")
            throw ExitCode(130)
        }
    }

    private func measure(egressgw: String, leftovers: BenchLeftovers) async throws {
        let directory = NSTemporaryDirectory() + "egw-bench-cni-\(getpid())"
        leftovers.add(directory: directory)
        let socket = directory + "/run/cni.sock"
        let node = try CNIBenchNode.make(egressgw: egressgw, socketPath: socket, directory: directory,
                                         passesAnnotations: runtimeAnnotations, pluginLogLevel: pluginLogLevel, leftovers: leftovers)
        // The manager and the emulator log only what goes wrong; the report is on stdout.
        let quiet = ProcessObservability.bootstrap(label: "egressgw-bench.cni", format: .console, level: .error).logger
        try await CNIBenchCluster.run(pods: pods, socketPath: socket, logger: quiet) { [self] cluster in
            print("plugin: \(egressgw) as \(node.pluginDirectory)/egressgw-cni; WireGuard: \(BackendDetection.summary())")
            print("\(pods) pods per level, main CNI bridge + host-local in \(node.namespace), cni-manager and KubeEmulator in this process, "
                  + (runtimeAnnotations ? "annotations passed by the runtime" : "annotations read through the cni-manager"))
            print("load average before: \(Self.loadAverage())")
            for level in levels {
                try await measureLevel(level, node: node, cluster: cluster)
            }
            if memorySamples > 0 { try await measureMemory(node: node) }
        }
    }

    // MARK: Latency

    private func measureLevel(_ level: Int, node: CNIBenchNode, cluster: CNIBenchCluster) async throws {
        var adds: [PluginExecution] = [], deletes: [PluginExecution] = []
        var setupWall = Duration.zero, addWall = Duration.zero, deleteWall = Duration.zero
        var addCPU = Duration.zero, deleteCPU = Duration.zero
        for first in stride(from: 0, to: pods, by: attached) {
            let round = try await measureRound(Array(first..<min(pods, first + attached)), parallel: level, node: node, cluster: cluster)
            adds += round.adds
            deletes += round.deletes
            setupWall += round.setupWall
            addWall += round.addWall
            deleteWall += round.deleteWall
            addCPU += round.addCPU
            deleteCPU += round.deleteCPU
        }
        print("\nparallel \(level): \(pods) pod namespaces with eth0 from bridge + host-local in \(ProcessMeasurements.format(setupWall)) "
              + "(not counted), attached in rounds of at most \(attached)")
        print(ProcessMeasurements.percentiles("  ADD", adds.map(\.elapsed))
              + ", \(ProcessMeasurements.rounded(Double(pods) / addWall.seconds)) pods/s")
        print(ProcessMeasurements.percentiles("  DEL", deletes.map(\.elapsed))
              + ", \(ProcessMeasurements.rounded(Double(pods) / deleteWall.seconds)) pods/s")
        print("  CPU per call (user + system of the plugin and the programs it waited for, mean): "
              + "ADD \(ProcessMeasurements.format(addCPU / pods)), DEL \(ProcessMeasurements.format(deleteCPU / pods))")
        printSteps("ADD", adds)
        printSteps("DEL", deletes)
        print("  check: every round had one PodEndpoint per pod after ADD and none after DEL; load average now \(Self.loadAverage())")
        if level == Self.addTargets.parallelism {
            let sorted = adds.map(\.elapsed).sorted()
            let p50 = ProcessMeasurements.percentile(0.5, ofSorted: sorted), p99 = ProcessMeasurements.percentile(0.99, ofSorted: sorted)
            print("  target ADD p50 < \(ProcessMeasurements.format(Self.addTargets.p50)): \(p50 < Self.addTargets.p50 ? "met" : "missed"); "
                  + "p99 < \(ProcessMeasurements.format(Self.addTargets.p99)): \(p99 < Self.addTargets.p99 ? "met" : "missed")")
        }
    }

    /// What one round of pods measured.
    private struct Round {
        var adds: [PluginExecution]
        var deletes: [PluginExecution]
        var setupWall: Duration
        var addWall: Duration
        var deleteWall: Duration
        /// CPU time of the plugin processes of the round's ADD and DEL phases, in total.
        var addCPU: Duration
        var deleteCPU: Duration
    }

    /// Fresh pods `indices` (not counted), ADD of each with `parallel` in flight, the manager's
    /// PodEndpoints checked, DEL of each with the cached result, and the pods removed.
    private func measureRound(_ indices: [Int], parallel: Int, node: CNIBenchNode, cluster: CNIBenchCluster) async throws -> Round {
        let clock = ContinuousClock()
        let setupStart = clock.now
        let sandboxes = try await inParallel(count: indices.count, concurrency: 8) { offset in
            try await node.makePod(indices[offset], round: "p\(parallel)")
        }
        defer { sandboxes.forEach(node.removePod) }
        let setupWall = clock.now - setupStart

        let addStart = clock.now, addCPUStart = ProcessMeasurements.childrenCPUTime()
        let adds = try await inParallel(count: sandboxes.count, concurrency: parallel) { offset in
            let pod = sandboxes[offset]
            let add = try await node.execute("ADD", node.egressPlugin, pod: pod, previous: pod.mainResult)
            guard add.succeeded else { throw CNIBenchError.plugin(command: "ADD", type: "egressgw-cni", pod: pod.name, add) }
            return add
        }
        let addWall = clock.now - addStart, addCPU = ProcessMeasurements.childrenCPUTime() - addCPUStart
        try await expectEndpoints(sandboxes.count, cluster: cluster, after: "ADD")

        let deleteStart = clock.now, deleteCPUStart = ProcessMeasurements.childrenCPUTime()
        let deletes = try await inParallel(count: sandboxes.count, concurrency: parallel) { offset in
            let pod = sandboxes[offset]
            let cached = try JSONValue(json: Data(adds[offset].stdout.utf8))
            let delete = try await node.execute("DEL", node.egressPlugin, pod: pod, previous: cached)
            guard delete.succeeded else { throw CNIBenchError.plugin(command: "DEL", type: "egressgw-cni", pod: pod.name, delete) }
            return delete
        }
        let deleteWall = clock.now - deleteStart, deleteCPU = ProcessMeasurements.childrenCPUTime() - deleteCPUStart
        try await expectEndpoints(0, cluster: cluster, after: "DEL")
        return Round(adds: adds, deletes: deletes, setupWall: setupWall, addWall: addWall, deleteWall: deleteWall,
                     addCPU: addCPU, deleteCPU: deleteCPU)
    }

    /// p50 and p99 of each step the plugin's debug log timed, of what came before the first step
    /// (process start-up, argument and config parsing) and after the last (the result, exit);
    /// nothing without debug records.
    private func printSteps(_ command: String, _ executions: [PluginExecution]) {
        let before = "before the first step (start-up, config)", after = "after the last step (result, exit)"
        var names = [before]
        var samples: [String: [Duration]] = [:]
        for execution in executions {
            let steps = execution.steps
            guard let first = steps.first, let last = steps.last else { continue }
            for step in steps {
                if samples[step.name] == nil { names.append(step.name) }
                samples[step.name, default: []].append(step.elapsed)
            }
            samples[before, default: []].append(.seconds(first.ended.timeIntervalSince(execution.started)) - first.elapsed)
            samples[after, default: []].append(.seconds(execution.finished.timeIntervalSince(last.ended)))
        }
        guard let calls = samples[before]?.count else { return }
        print("  \(command) by step (\(calls) calls; the first and last from wall-clock stamps):")
        for name in names + [after] {
            let sorted = samples[name, default: []].sorted()
            print("    \(name): p50 \(ProcessMeasurements.format(ProcessMeasurements.percentile(0.5, ofSorted: sorted))), "
                  + "p99 \(ProcessMeasurements.format(ProcessMeasurements.percentile(0.99, ofSorted: sorted)))")
        }
        // This machine has no WireGuard kernel module. With it, the tunnel step is a netlink
        // request or two instead of starting a userspace implementation; the rest is the same.
        let withoutTunnel = executions.compactMap { execution -> Duration? in
            execution.steps.first { $0.name.hasPrefix(Self.tunnelStepPrefix) }.map { execution.elapsed - $0.elapsed }
        }
        if !withoutTunnel.isEmpty {
            print(ProcessMeasurements.percentiles("    \(command) without its \"\(Self.tunnelStepPrefix)…\" step", withoutTunnel))
        }
    }

    /// The ADD step that creates the pod's tunnel device (the userspace implementation's start).
    static let tunnelStepPrefix = "create wg0"

    private func expectEndpoints(_ expected: Int, cluster: CNIBenchCluster, after step: String) async throws {
        let found = try await cluster.endpoints.list().items.count
        guard found == expected else { throw CNIBenchError.endpoints(expected: expected, found: found, after: step) }
    }

    // MARK: Memory

    /// ADD then DEL of a few pods, one at a time, each under GNU time, which reports the plugin's
    /// `ru_maxrss`: the larger of the plugin's own peak and that of the programs it waited for
    /// (iptables-restore, the userspace WireGuard launcher).
    private func measureMemory(node: CNIBenchNode) async throws {
        guard access(CNIBenchNode.gnuTime, X_OK) == 0 else {
            print("\npeak RSS: skipped, \(CNIBenchNode.gnuTime) (Debian's time package) is missing")
            return
        }
        var addPeaks: [Int] = [], deletePeaks: [Int] = []
        for index in 0..<min(memorySamples, pods) {
            try Task.checkCancellation()
            let pod = try await node.makePod(index, round: "mem")
            defer { node.removePod(pod) }
            let add = try await node.execute("ADD", node.egressPlugin, pod: pod, previous: pod.mainResult, launcher: .gnuTime)
            guard add.succeeded else { throw CNIBenchError.plugin(command: "ADD", type: "egressgw-cni", pod: pod.name, add) }
            let cached = try JSONValue(json: Data(add.stdout.utf8))
            let delete = try await node.execute("DEL", node.egressPlugin, pod: pod, previous: cached, launcher: .gnuTime)
            guard delete.succeeded else { throw CNIBenchError.plugin(command: "DEL", type: "egressgw-cni", pod: pod.name, delete) }
            addPeaks += add.peakMemoryKiB.map { [$0] } ?? []
            deletePeaks += delete.peakMemoryKiB.map { [$0] } ?? []
        }
        func summary(_ peaks: [Int]) -> String {
            guard let high = peaks.max() else { return "not reported" }
            return "max \(ProcessMeasurements.mebibytes(kibibytes: high)), median \(ProcessMeasurements.mebibytes(kibibytes: peaks.sorted()[peaks.count / 2]))"
        }
        print("\npeak RSS of the plugin process (wait4 ru_maxrss via GNU time, \(addPeaks.count) runs each): "
              + "ADD \(summary(addPeaks)); DEL \(summary(deletePeaks))")
    }

    // MARK: Helpers

    /// `body(0..<count)` with at most `concurrency` calls at once; the results in index order.
    /// Stops starting new calls once the task is cancelled.
    private func inParallel<T: Sendable>(count: Int, concurrency: Int,
                                         _ body: @escaping @Sendable (Int) async throws -> T) async throws -> [T] {
        try await withThrowingTaskGroup(of: (Int, T).self) { group in
            var results: [T?] = Array(repeating: nil, count: count)
            for index in 0..<count {
                if index >= concurrency, let (done, value) = try await group.next() { results[done] = value }
                try Task.checkCancellation()
                group.addTask { (index, try await body(index)) }
            }
            for try await (done, value) in group { results[done] = value }
            return results.compactMap { $0 }
        }
    }

    /// `/proc/loadavg`'s three averages: the machine is shared, so figures need their context.
    static func loadAverage() -> String {
        let text = ProcessMeasurements.readFile("/proc/loadavg").map { String(decoding: $0, as: UTF8.self) } ?? ""
        return text.split(separator: " ").prefix(3).joined(separator: " ")
    }

    /// `name` in the directory of this executable (SwiftPM puts every product of a build together).
    static func siblingExecutable(_ name: String) -> String {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent(name).path
    }
}
