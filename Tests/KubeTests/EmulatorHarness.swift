import Foundation
import HTTPClient
import Kube
import KubeEmulator
import Testing

/// Runs `body` against a fresh KubeEmulator over loopback HTTP, with a client of it; the server is stopped after.
func withEmulator<T: Sendable>(
    _ configuration: KubeEmulator.Configuration = KubeEmulator.Configuration(),
    timeout: Duration = .seconds(120),
    _ body: @escaping @Sendable (RunningKubeEmulator, KubeClient) async throws -> T
) async throws -> T {
    let server = try await KubeEmulator(configuration: configuration).start()
    do {
        let client = try KubeClient(configuration: emulatorClientConfiguration(server))
        let result = try await withTestTimeout(timeout) { try await body(server, client) }
        await server.stop()
        return result
    } catch {
        await server.stop()
        throw error
    }
}

func emulatorClientConfiguration(_ server: RunningKubeEmulator, credentials: KubeClientConfiguration.Credentials = .none)
    -> KubeClientConfiguration
{
    KubeClientConfiguration(server: server.url, credentials: credentials, namespace: "default",
                            userAgent: KubeClientConfiguration.userAgent(version: "test", role: "kube-tests"),
                            proxy: .none)
}

/// A test that runs too long fails instead of hanging the suite.
struct TestTimedOut: Error, CustomStringConvertible {
    let after: Duration
    var description: String { "test body did not finish within \(after)" }
}

func withTestTimeout<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else { throw TestTimedOut(after: limit) }
        return value
    }
}

/// Polls `condition` (test side only) until it holds; the test timeout bounds the wait.
func eventually(_ condition: @Sendable () async throws -> Bool) async throws {
    while try await !condition() {
        try await Task.sleep(for: .milliseconds(20))
    }
}

func configMap(_ name: String, namespace: String = "default", data: [String: String] = [:],
               labels: [String: String] = [:]) -> ConfigMap {
    ConfigMap(metadata: ObjectMeta(name: name, namespace: namespace, labels: labels), data: data)
}
