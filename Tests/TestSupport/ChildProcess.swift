import Foundation

/// What a child process printed, and how it ended.
public struct ChildProcessOutput: Sendable {
    /// The exit status (or the terminating signal's number, as `Process` reports it).
    public let status: Int32
    public let stdout: Data
    public let stderr: Data

    public var standardOutput: String { String(decoding: stdout, as: UTF8.self) }
    public var standardError: String { String(decoding: stderr, as: UTF8.self) }
}

/// Runs helper programs (kubectl, openssl, python3, the built binaries) to completion for tests.
///
/// The waiting happens on threads of their own, never on the cooperative pool: that pool has one thread per core
/// and every test of the run shares it, so a test blocked on a child for seconds would starve all the others,
/// which then fail their own bounded waits on a loaded machine.
public enum ChildProcess {
    /// Runs `executable` with `arguments` and returns once it has exited and both output streams are drained.
    /// - Parameters:
    ///   - environment: the child's whole environment; nil inherits this process's.
    ///   - input: written to the child's standard input, which is then closed; nil gives it /dev/null.
    ///   - directory: the child's working directory; nil keeps this process's.
    public static func run(
        _ executable: String, _ arguments: [String] = [], environment: [String: String]? = nil,
        input: Data? = nil, directory: URL? = nil
    ) async throws -> ChildProcessOutput {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result {
                    try runBlocking(executable, arguments, environment: environment, input: input, directory: directory)
                })
            }
        }
    }

    /// ``run(_:_:environment:input:directory:)`` on the calling thread, for the few places that cannot await
    /// (a trait's condition, a `static let`); test bodies use the asynchronous one.
    public static func runBlocking(
        _ executable: String, _ arguments: [String] = [], environment: [String: String]? = nil,
        input: Data? = nil, directory: URL? = nil
    ) throws -> ChildProcessOutput {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        if let directory { process.currentDirectoryURL = directory }
        let stdout = Pipe(), stderr = Pipe(), stdin = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = input == nil ? FileHandle.nullDevice : stdin
        try process.run()

        // Input is fed, and stderr drained, beside the stdout read: a child that fills one pipe while we block
        // on another would otherwise never exit.
        let group = DispatchGroup()
        if let input {
            let writer = stdin.fileHandleForWriting
            DispatchQueue.global().async(group: group) {
                try? writer.write(contentsOf: input)
                try? writer.close()
            }
        }
        let errors = ErrorBuffer()
        DispatchQueue.global().async(group: group) {
            errors.data = stderr.fileHandleForReading.readDataToEndOfFile()
        }
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return ChildProcessOutput(status: process.terminationStatus, stdout: output, stderr: errors.data)
    }

    /// Written by the stderr reader before `group.wait()` returns, read only after it.
    private final class ErrorBuffer: @unchecked Sendable {
        var data = Data()
    }
}
