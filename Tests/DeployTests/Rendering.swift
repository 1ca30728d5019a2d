import Foundation
import Kube
import TestSupport
import Testing
import Yams

/// The repository checkout these tests belong to.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// Every kustomization of deploy/: the default and each overlay.
let kustomizations = ["deploy/default", "deploy/overlays/managed-identity", "deploy/overlays/workload-identity",
                      "deploy/overlays/service-principal"]

/// What a failed command printed.
struct CommandFailed: Error, CustomStringConvertible {
    let command: [String]
    let status: Int32
    let stderr: String
    var description: String { "\(command.joined(separator: " ")) exited with \(status): \(stderr)" }
}

/// The machine's kubectl, which embeds kustomize and renders offline.
enum Kubectl {
    static let path: String? = ["/usr/bin/kubectl", "/usr/local/bin/kubectl"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    /// The objects `kubectl kustomize` renders from `directory` (relative to the repository), rendered once per
    /// test run: every suite checks the same four kustomizations.
    static func render(_ directory: String) async throws -> [Manifest] {
        try await renders.render(directory)
    }

    private static let renders = Renders()

    private actor Renders {
        private var results: [String: Task<[Manifest], any Error>] = [:]

        func render(_ directory: String) async throws -> [Manifest] {
            if let result = results[directory] { return try await result.value }
            let result = Task { try await Kubectl.renderAfresh(directory) }
            results[directory] = result
            return try await result.value
        }
    }

    private static func renderAfresh(_ directory: String) async throws -> [Manifest] {
        let arguments = ["kustomize", repositoryRoot.appendingPathComponent(directory).path]
        let result = try await ChildProcess.run(path ?? "kubectl", arguments)
        guard result.status == 0 else {
            throw CommandFailed(command: ["kubectl"] + arguments, status: result.status, stderr: result.standardError)
        }
        return try Yams.compose_all(yaml: result.standardOutput).map { Manifest(JSONValue(yaml: $0)) }
    }
}

/// One rendered object, with the accessors the checks need.
struct Manifest: CustomStringConvertible, Sendable {
    let object: JSONValue

    init(_ object: JSONValue) { self.object = object }

    var kind: String { object["kind"]?.stringValue ?? "" }
    var name: String { object["metadata"]?["name"]?.stringValue ?? "" }
    var namespace: String? { object["metadata"]?["namespace"]?.stringValue }
    var description: String { "\(kind)/\(name)" }

    subscript(path: String...) -> JSONValue? {
        path.reduce(Optional(object)) { value, key in value?[key] }
    }

    /// The pod template of a Deployment or DaemonSet.
    var podSpec: JSONValue? { self["spec", "template", "spec"] }

    var containers: [JSONValue] { podSpec?["containers"]?.arrayValue ?? [] }
    var initContainers: [JSONValue] { podSpec?["initContainers"]?.arrayValue ?? [] }
}

extension Array where Element == Manifest {
    func one(_ kind: String, _ name: String) throws -> Manifest {
        try #require(first { $0.kind == kind && $0.name == name }, "no \(kind)/\(name) rendered")
    }

    func all(_ kind: String) -> [Manifest] { filter { $0.kind == kind } }
}

extension JSONValue {
    var intValue: Int? {
        switch self {
        case .integer(let value): Int(value)
        case .string(let text): Int(text)
        default: nil
        }
    }

    var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    var strings: [String] { arrayValue?.compactMap(\.stringValue) ?? [] }
}

/// A container's arguments as flags: `--name=value` and `--name value` give `name → value`; a bare `--flag` gives an
/// empty value. The first argument (the role) is not a flag.
struct ContainerArguments {
    let role: String
    let flags: [String: String]

    init(_ container: JSONValue) {
        let arguments = container["args"]?.strings ?? []
        role = arguments.first ?? ""
        var flags: [String: String] = [:]
        var index = 1
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            guard argument.hasPrefix("--") else { continue }
            let body = argument.dropFirst(2)
            if let equals = body.firstIndex(of: "=") {
                flags[String(body[..<equals])] = String(body[body.index(after: equals)...])
            } else if index < arguments.count, !arguments[index].hasPrefix("--") {
                flags[String(body)] = arguments[index]
                index += 1
            } else {
                flags[String(body)] = ""
            }
        }
        self.flags = flags
    }

    func port(_ flag: String) -> Int? { flags[flag].flatMap { Int($0) } }
}
