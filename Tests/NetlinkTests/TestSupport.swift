import Foundation
import Netlink
import Testing

/// Tests that change the kernel need CAP_NET_ADMIN and the right to create namespaces.
let isRoot = getuid() == 0

/// Runs `body` with a fresh, uniquely named network namespace that is deleted afterwards,
/// whatever happens inside.
func withNamespace<T>(_ label: String, _ body: (NetworkNamespace) throws -> T) throws -> T {
    let namespace = try NetworkNamespace.create(named: uniqueName(label))
    defer { try? namespace.delete() }
    return try body(namespace)
}

/// `egw-<label>-<pid>-<random>`: unique across concurrent tests and concurrent test runs.
func uniqueName(_ label: String) -> String {
    "egw-\(label)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
}

/// The independent reader: runs `ip -j <arguments>` inside `namespace` and returns the JSON array.
func ipJSON(_ namespace: NetworkNamespace, _ arguments: [String]) throws -> [[String: Any]] {
    let output = try namespace.executeChecked("ip", ["-j"] + arguments)
    let text = output.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    guard !text.isEmpty else { return [] }
    let value = try JSONSerialization.jsonObject(with: Data(text.utf8))
    return try #require(value as? [[String: Any]], "ip -j \(arguments.joined(separator: " ")) printed \(text)")
}

/// Runs `ip <arguments>` inside `namespace` and fails the test if it fails.
func ip(_ namespace: NetworkNamespace, _ arguments: String...) throws {
    try namespace.executeChecked("ip", arguments)
}

/// The `ip -j -d link` entry of `name`, or nil when the namespace has no such link.
func ipLink(_ namespace: NetworkNamespace, _ name: String) throws -> [String: Any]? {
    try ipJSON(namespace, ["-d", "link", "show"]).first { $0["ifname"] as? String == name }
}

/// The names of every link `ip` sees.
func ipLinkNames(_ namespace: NetworkNamespace) throws -> Set<String> {
    Set(try ipJSON(namespace, ["link", "show"]).compactMap { $0["ifname"] as? String })
}

/// Collects a thrown `NetlinkError` so that a test can check its case and its text.
func netlinkError(_ body: () throws -> Void) -> NetlinkError? {
    do {
        try body()
        return nil
    } catch let error as NetlinkError {
        return error
    } catch {
        Issue.record("expected a NetlinkError, got \(type(of: error)): \(error)")
        return nil
    }
}

extension NetlinkError {
    /// The case without its payload, so tests can say which kind of failure they expect without
    /// spelling out every message.
    var kind: String {
        switch self {
        case .exists: "exists"
        case .notFound: "notFound"
        case .notSupported: "notSupported"
        case .permissionDenied: "permissionDenied"
        case .invalidArgument: "invalidArgument"
        case .system: "system"
        case .malformedMessage: "malformedMessage"
        }
    }
}
