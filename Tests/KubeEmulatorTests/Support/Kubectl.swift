import Foundation
import KubeEmulator
import Synchronization

/// Runs the real `kubectl` against an emulator, with a kubeconfig and discovery cache in a temporary directory of
/// its own, bounded request timeouts, and processes waited for without blocking the test's threads.
struct Kubectl: Sendable {
    static let path = "/usr/bin/kubectl"
    static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: path) }

    let directory: URL

    init(server: RunningKubeEmulator) throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("egw-kubectl-\(getpid())-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try server.kubeconfig().write(to: directory.appendingPathComponent("kubeconfig"), atomically: true, encoding: .utf8)
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }

    /// Writes `text` to a file in the temporary directory and returns its path.
    func file(_ name: String, _ text: String) throws -> String {
        let url = directory.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    struct Result: Sendable, CustomStringConvertible {
        var status: Int32
        var output: String
        var error: String
        var description: String { "exit \(status)\nstdout:\n\(output)\nstderr:\n\(error)" }
    }

    private func makeProcess(_ arguments: [String]) -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.path)
        process.arguments = ["--request-timeout=20s", "--cache-dir", directory.appendingPathComponent("cache").path] + arguments
        process.environment = [
            "KUBECONFIG": directory.appendingPathComponent("kubeconfig").path, "HOME": directory.path,
            "PATH": "/usr/bin:/bin", "NO_PROXY": "*",
        ]
        process.currentDirectoryURL = directory
        return process
    }

    /// Runs kubectl to completion.
    func run(_ arguments: String...) async throws -> Result {
        let running = try Running(makeProcess(arguments))
        return await running.finished()
    }

    /// Starts kubectl and returns while it runs (for `get -w` and `delete` that waits).
    func start(_ arguments: String...) throws -> Running {
        try Running(makeProcess(arguments))
    }

    /// A kubectl process whose output is collected as it comes.
    final class Running: Sendable {
        private struct State {
            var output: [UInt8] = []
            var error: [UInt8] = []
            var openStreams = 2
            var status: Int32?
            var waiters: [CheckedContinuation<Void, Never>] = []
        }

        private let process: Process
        private let state = Mutex(State())

        init(_ process: Process) throws {
            self.process = process
            let output = Pipe()
            let error = Pipe()
            process.standardOutput = output
            process.standardError = error
            process.standardInput = FileHandle.nullDevice
            for (pipe, isOutput) in [(output, true), (error, false)] {
                pipe.fileHandleForReading.readabilityHandler = { [self] handle in
                    let data = handle.availableData
                    let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
                        if data.isEmpty {
                            handle.readabilityHandler = nil
                            state.openStreams -= 1
                        } else if isOutput {
                            state.output += data
                        } else {
                            state.error += data
                        }
                        defer { state.waiters = [] }
                        return state.waiters
                    }
                    for waiter in waiters { waiter.resume() }
                }
            }
            process.terminationHandler = { [self] process in
                let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
                    state.status = process.terminationStatus
                    defer { state.waiters = [] }
                    return state.waiters
                }
                for waiter in waiters { waiter.resume() }
            }
            try process.run()
        }

        var output: String { state.withLock { String(decoding: $0.output, as: UTF8.self) } }
        var isRunning: Bool { state.withLock { $0.status == nil } }

        /// Waits until `condition` holds on the state (checked after every change); false when the process ended
        /// first or the generous deadline passed.
        private func wait(until condition: @escaping @Sendable (State) -> Bool, deadline: Duration) async -> Bool {
            let clock = ContinuousClock()
            let end = clock.now + deadline
            while true {
                if state.withLock({ condition($0) }) { return true }
                if clock.now >= end { return false }
                await withTaskGroup(of: Void.self) { group in
                    group.addTask { [self] in
                        await withCheckedContinuation { continuation in
                            let ready = state.withLock { state -> Bool in
                                if condition(state) || (state.status != nil && state.openStreams == 0) { return true }
                                state.waiters.append(continuation)
                                return false
                            }
                            if ready { continuation.resume() }
                        }
                    }
                    group.addTask { try? await Task.sleep(for: .milliseconds(200)) }
                    await group.next()
                    group.cancelAll()
                }
                if state.withLock({ $0.status != nil && $0.openStreams == 0 }) { return state.withLock { condition($0) } }
            }
        }

        /// Waits until the output contains every string in `needles`, in any order.
        func waitForOutput(containing needles: [String], deadline: Duration = .seconds(30)) async -> Bool {
            await wait(until: { state in
                let text = String(decoding: state.output, as: UTF8.self)
                return needles.allSatisfy { text.contains($0) }
            }, deadline: deadline)
        }

        /// Waits for the process to end and its output to be read.
        func finished(deadline: Duration = .seconds(60)) async -> Result {
            _ = await wait(until: { $0.status != nil && $0.openStreams == 0 }, deadline: deadline)
            if isRunning { stop() }
            return state.withLock {
                Result(status: $0.status ?? -1, output: String(decoding: $0.output, as: UTF8.self),
                       error: String(decoding: $0.error, as: UTF8.self))
            }
        }

        /// Kills the process (SIGKILL: the test runner may block SIGTERM in its children) and reaps it.
        func stop() {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
    }
}
