import Foundation
@testable import KubeEmulator

/// Runs the real `kubectl` against an emulator, with a kubeconfig and discovery cache in a temporary directory of
/// its own and bounded request timeouts. Processes are `ChildProcess`es: waited for without blocking the test's
/// threads, killed with SIGKILL when a test stops them.
struct Kubectl: Sendable {
    static let path = "/usr/bin/kubectl"
    static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: path) }

    let directory: URL

    init(server: RunningKubeEmulator) throws {
        try self.init()
        try server.kubeconfig().write(to: kubeconfig, atomically: true, encoding: .utf8)
    }

    /// A fresh directory whose `kubeconfig` file the caller provides (for example a server process writes it).
    init() throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("egw-kubectl-\(getpid())-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    var kubeconfig: URL { directory.appendingPathComponent("kubeconfig") }

    func remove() { try? FileManager.default.removeItem(at: directory) }

    /// Writes `text` to a file in the temporary directory and returns its path.
    func file(_ name: String, _ text: String) throws -> String {
        let url = directory.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    private var environment: [String: String] {
        ["KUBECONFIG": kubeconfig.path, "HOME": directory.path, "PATH": "/usr/bin:/bin", "NO_PROXY": "*"]
    }

    private func arguments(_ arguments: [String]) -> [String] {
        ["--request-timeout=20s", "--cache-dir", directory.appendingPathComponent("cache").path] + arguments
    }

    /// Runs kubectl to completion.
    func run(_ arguments: String...) async throws -> ChildProcess.Result {
        try await ChildProcess(Self.path, self.arguments(arguments), environment: environment).finished()
    }

    /// Starts kubectl and returns while it runs (for `get -w` and `delete` that waits).
    func start(_ arguments: String...) throws -> ChildProcess {
        try ChildProcess(Self.path, self.arguments(arguments), environment: environment)
    }
}

extension ChildProcess {
    /// Waits until standard output (or, with `includingErrors`, either stream) contains every string in
    /// `needles`, in any order; false if the process ended first or a generous deadline passed.
    func waitForOutput(containing needles: [String], includingErrors: Bool = false,
                       deadline: Duration = .seconds(30)) async -> Bool
    {
        await wait(until: { output, error, _ in
            let text = String(decoding: output + (includingErrors ? error : []), as: UTF8.self)
            return needles.allSatisfy { text.contains($0) }
        }, deadline: deadline)
    }
}
