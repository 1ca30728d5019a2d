import Dispatch
import Foundation
import Netlink
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Everything a benchmark made outside its own memory (network namespaces, directories, userspace
/// WireGuard daemons of its tunnels), recorded as it is made so that one call removes what is left
/// however the run ended: finished, failed or interrupted.
final class BenchLeftovers: Sendable {
    private struct State {
        var namespaces: [NetworkNamespace] = []
        var directories: [String] = []
        var tunnels: Set<String> = []
    }

    private let state = Mutex(State())

    func add(namespace: NetworkNamespace) { state.withLock { $0.namespaces.append(namespace) } }
    func remove(namespace: NetworkNamespace) { state.withLock { $0.namespaces.removeAll { $0 == namespace } } }
    func add(directory: String) { state.withLock { $0.directories.append(directory) } }
    /// A WireGuard device name whose userspace daemon must not outlive the run.
    func add(tunnel: String) { state.withLock { _ = $0.tunnels.insert(tunnel) } }

    /// Removes everything recorded, newest namespace first (pods before their node), and returns
    /// what could not be removed.
    func removeAll() -> [String] {
        let state = state.withLock { state in
            defer { state = State() }
            return state
        }
        var problems: [String] = []
        for namespace in state.namespaces.reversed() {
            do { try namespace.delete() } catch { problems.append("delete \(namespace): \(error)") }
        }
        // A daemon whose link went with a pod's namespace exits by itself; one whose link was still
        // in the node (an interrupted ADD) holds the node's namespace alive until it is stopped.
        let daemons = ProcessMeasurements.processes { arguments in
            arguments.count == 2 && arguments[0].hasSuffix("wireguard-go") && state.tunnels.contains(arguments[1])
        }
        for pid in daemons { kill(pid, SIGTERM) }
        for _ in 0..<100 where daemons.contains(where: { kill($0, 0) == 0 }) { usleep(20_000) }
        problems += daemons.filter { kill($0, 0) == 0 }.map { "wireguard-go process \($0) still runs" }
        // A daemon that failed to start (no inotify instance left, say) leaves its launcher's socket file.
        for tunnel in state.tunnels {
            let socket = "/var/run/wireguard/\(tunnel).sock"
            if access(socket, F_OK) == 0, unlink(socket) != 0 { problems.append("remove \(socket): errno \(errno)") }
        }
        for directory in state.directories {
            do { try FileManager.default.removeItem(atPath: directory) } catch { problems.append("remove \(directory): \(error)") }
        }
        return problems
    }
}

/// Turns SIGINT and SIGTERM into a call of `handler` instead of the end of the process, for as long
/// as it exists. The programs a benchmark starts inherit the ignored disposition, so a Ctrl-C lets
/// a plugin call in flight finish rather than leave it half done.
final class InterruptTrap {
    private let sources: [any DispatchSourceSignal]

    init(_ signals: [Int32] = [SIGINT, SIGTERM], handler: @escaping @Sendable () -> Void) {
        sources = signals.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler(handler: handler)
            source.resume()
            return source
        }
    }

    deinit {
        sources.forEach { $0.cancel() }
    }
}

/// Why a benchmark stopped.
enum CNIBenchError: Error, CustomStringConvertible {
    case needsRoot
    case missingProgram(String, purpose: String)
    case pluginNotFound(String)
    case unexpectedConflist(String)
    case managerStopped(String)
    case plugin(command: String, type: String, pod: String, PluginExecution)
    case endpoints(expected: Int, found: Int, after: String)

    var description: String {
        switch self {
        case .needsRoot: "needs root (creates network namespaces and runs CNI plugins)"
        case .missingProgram(let path, let purpose): "\(path) is missing; it is needed \(purpose)"
        case .pluginNotFound(let type): "no executable for plugin type \(type) in the plugin directory or \(CNIBenchNode.referencePlugins)"
        case .unexpectedConflist(let path): "\(path) is not the main plugin followed by egressgw-cni"
        case .managerStopped(let socket): "the cni-manager stopped before listening on \(socket)"
        case .plugin(let command, let type, let pod, let execution):
            "\(command) of \(type) for pod \(pod) exited \(execution.exitCode): \(execution.stdout.trimmingCharacters(in: .whitespacesAndNewlines))"
                + (execution.stderr.isEmpty ? "" : "\nstderr: \(execution.stderr.trimmingCharacters(in: .whitespacesAndNewlines))")
        case .endpoints(let expected, let found, let after):
            "\(found) PodEndpoints after \(after), expected \(expected)"
        }
    }
}
