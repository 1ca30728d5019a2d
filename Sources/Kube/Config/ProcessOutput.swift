import Foundation

/// The result of running a helper command to completion (exec credential plugins).
struct ProcessOutput: Sendable {
    var status: Int32
    var stdout: [UInt8]
    var stderr: [UInt8]

    /// Runs `executable` with no standard input and collects both outputs. The blocking reads and the wait happen on
    /// dispatch threads, not the cooperative pool; cancelling the task terminates the process.
    static func run(executable: String, arguments: [String], environment: [String: String]) async throws -> ProcessOutput {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let handle = ProcessHandle(process: process)
        return await withTaskCancellationHandler {
            async let errorBytes = readToEnd(stderr.fileHandleForReading)
            let outputBytes = await readToEnd(stdout.fileHandleForReading)
            let status = await handle.wait()
            return ProcessOutput(status: status, stdout: outputBytes, stderr: await errorBytes)
        } onCancel: {
            handle.terminate()
        }
    }

    private static func readToEnd(_ file: FileHandle) async -> [UInt8] {
        let box = FileHandleBox(file: file)
        return await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(returning: [UInt8](box.file.readDataToEndOfFile()))
            }
        }
    }
}

/// `Process` is not `Sendable`; it is only waited for and terminated, which it supports from any thread.
private final class ProcessHandle: @unchecked Sendable {
    let process: Process

    init(process: Process) { self.process = process }

    func wait() async -> Int32 {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                self.process.waitUntilExit()
                continuation.resume(returning: self.process.terminationStatus)
            }
        }
    }

    func terminate() {
        if process.isRunning { process.terminate() }
    }
}

/// A pipe end read by exactly one dispatch block.
private struct FileHandleBox: @unchecked Sendable {
    let file: FileHandle
}
