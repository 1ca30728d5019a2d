import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Processes of a run that must outlive the command that started them (`up` exits; the
/// supervisor and the roles keep running until `down`).
public enum SandboxProcess {
    /// Starts `executable` in a session of its own (so a terminal's Ctrl-C does not reach it),
    /// with its output appended to `logFile`. Returns its pid.
    public static func startDetached(_ executable: String, _ arguments: [String], logFile: String) throws(SandboxError) -> Int32 {
        try SandboxError.during("start \(executable) \(arguments.joined(separator: " "))") {
            FileManager.default.createFile(atPath: logFile, contents: nil)
            let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logFile))
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/setsid")
            process.arguments = [executable] + arguments
            process.standardOutput = log
            process.standardError = log
            process.standardInput = FileHandle.nullDevice
            try process.run()
            return process.processIdentifier
        }
    }

    public static func isAlive(_ pid: Int32) -> Bool { pid > 0 && kill(pid, 0) == 0 }

    /// SIGTERM, then SIGKILL after `grace` seconds. Returns whether the process is gone.
    @discardableResult
    public static func stop(_ pid: Int32, grace: Double = 5) -> Bool {
        guard isAlive(pid) else { return true }
        kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(grace)
        while isAlive(pid), Date() < deadline {
            reap(pid)
            usleep(50_000)
        }
        if isAlive(pid) { kill(pid, SIGKILL); usleep(100_000); reap(pid) }
        return !isAlive(pid)
    }

    /// Collects the exit status when `pid` is our child, so it does not linger as a zombie.
    private static func reap(_ pid: Int32) {
        var status: Int32 = 0
        _ = waitpid(pid, &status, WNOHANG)
    }
}
