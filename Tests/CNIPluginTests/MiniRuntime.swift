import Foundation
import Logging
import Netlink
import Testing
@testable import CNIPlugin

/// A container runtime in miniature: runs the plugins of a conflist for one container as libcni
/// does (each with the `CNI_*` variables and its config on stdin, the previous result threaded
/// into the next config, runtime config for declared capabilities, DEL in reverse order).
/// Plugins run as programs from `CNI_PATH` inside the "node" namespace, except types mapped to
/// an in-process ``CNIInvocation`` (same environment and stdin, no process).
struct MiniRuntime {
    /// What one plugin answered.
    struct Answer {
        var type: String
        var exitCode: Int32
        var stdout: String
        var stderr: String

        var succeeded: Bool { exitCode == 0 }
        var error: [String: Any]? { exitCode == 0 ? nil : try? object(stdout) }
    }

    let conflist: [String: Any]
    let pluginPath: [String]
    let node: NetworkNamespace
    var inProcess: [String: CNIInvocation] = [:]
    let containerID: String
    let netns: String
    var args = "IgnoreUnknown=1;K8S_POD_NAMESPACE=testns;K8S_POD_NAME=testpod;K8S_POD_INFRA_CONTAINER_ID=x;K8S_POD_UID=u"
    /// Passed as runtimeConfig to plugins that declare the pod-annotations capability.
    var annotations: [String: String]?

    var plugins: [[String: Any]] { conflist["plugins"] as? [[String: Any]] ?? [] }

    /// ADD through the list; stops at the first failure. The last answer is the list's result.
    func add() async throws -> [Answer] {
        var answers: [Answer] = []
        var previous: Any?
        for plugin in plugins {
            let answer = try await invoke("ADD", plugin, previous: previous)
            answers.append(answer)
            guard answer.succeeded else { break }
            previous = try JSONSerialization.jsonObject(with: Data(answer.stdout.utf8))
        }
        return answers
    }

    /// DEL through the list in reverse, with the cached result as prevResult.
    func delete(cached result: String?) async throws -> [Answer] {
        let previous = try result.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) }
        var answers: [Answer] = []
        for plugin in plugins.reversed() { answers.append(try await invoke("DEL", plugin, previous: previous)) }
        return answers
    }

    /// CHECK through the list, with the cached result as prevResult.
    func check(cached result: String) async throws -> [Answer] {
        let previous = try JSONSerialization.jsonObject(with: Data(result.utf8))
        var answers: [Answer] = []
        for plugin in plugins {
            let answer = try await invoke("CHECK", plugin, previous: previous)
            answers.append(answer)
            guard answer.succeeded else { break }
        }
        return answers
    }

    func environment(_ command: String) -> [String: String] {
        [
            "CNI_COMMAND": command, "CNI_CONTAINERID": containerID, "CNI_NETNS": netns, "CNI_IFNAME": "eth0",
            "CNI_ARGS": args, "CNI_PATH": pluginPath.joined(separator: ":"),
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/sbin:/usr/bin:/sbin:/bin",
        ]
    }

    /// The config one plugin gets on stdin.
    func config(for plugin: [String: Any], previous: Any?) throws -> [UInt8] {
        var config = plugin
        config["name"] = conflist["name"]
        config["cniVersion"] = conflist["cniVersion"]
        if let previous { config["prevResult"] = previous }
        let capabilities = plugin["capabilities"] as? [String: Bool] ?? [:]
        if capabilities[NetworkConfig.podAnnotationsCapability] == true, let annotations {
            config["runtimeConfig"] = [NetworkConfig.podAnnotationsCapability: annotations]
        }
        return try json(config)
    }

    func invoke(_ command: String, _ plugin: [String: Any], previous: Any?) async throws -> Answer {
        let type = try #require(plugin["type"] as? String)
        let input = try config(for: plugin, previous: previous)
        if let invocation = inProcess[type] {
            let outcome = await invocation.outcome(environment: environment(command)) { input }
            return Answer(type: type, exitCode: outcome.exitStatus, stdout: outcome.standardOutput, stderr: outcome.standardError)
        }
        let candidates = pluginPath.map { directory -> String in "\(directory)/\(type)" }
        let executable = try #require(candidates.first { path in access(path, X_OK) == 0 }, "no \(type) in CNI_PATH")
        let node = node, environment = environment(command)
        // On its own thread: a plugin waiting on an in-process server (the cni-manager) must not
        // hold one of the few cooperative threads that server needs to answer it.
        let output = try await onOwnThread { try node.execute(executable, [], input: input, environment: environment) }
        return Answer(type: type, exitCode: output.exitCode, stdout: output.stdout, stderr: output.stderr)
    }
}

/// Runs a blocking call on a new thread and awaits its outcome.
func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}

/// A conflist of Debian's `bridge` (with `host-local` IPAM) followed by our plugin.
func chainConflist(version: String = "1.0.0", bridge: String, subnet: String, dataDir: String,
                   egress: [String: Any] = [:]) -> [String: Any] {
    var ours: [String: Any] = [
        "type": "egressgw-cni",
        "ipam": ["type": "egressgw-cni-ipam"],
        "capabilities": [NetworkConfig.podAnnotationsCapability: true],
        "excludedCIDRs": [String](),
    ]
    ours.merge(egress) { _, new in new }
    return [
        "cniVersion": version,
        "name": "egw-test-\(bridge)",
        "plugins": [
            [
                "type": "bridge", "bridge": bridge, "isGateway": true, "ipMasq": false,
                "ipam": ["type": "host-local", "subnet": subnet, "dataDir": dataDir, "routes": [["dst": "0.0.0.0/0"]]],
            ],
            ours,
        ],
    ]
}

/// A logger that drops everything: test output stays readable.
let quietLogger = Logger(label: "egressgw.cni.test") { _ in SwiftLogNoOpLogHandler() }
