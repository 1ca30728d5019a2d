import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A long-running child of this process (a node's anchor, a role): started with `posix_spawn` in a
/// session of its own, its output appended to a log file, and reaped by a thread of its own, so
/// that waiting for its exit never blocks Swift's cooperative pool and it never lingers as a zombie.
///
/// Foundation's `Process` is not used: it may put the child in a process group of its own (then
/// `setsid` forks and the pid is lost) and was seen to lose terminations with several children.
public final class SpawnedProcess: Sendable {
    public let pid: Int32
    /// The command line, for logs and errors.
    public let command: String
    private let state = Mutex<State>(State())

    private struct State {
        var status: Int32?
        var waiters: [CheckedContinuation<Int32, Never>] = []
    }

    /// glibc's `POSIX_SPAWN_SETSID` and `POSIX_SPAWN_SETSIGDEF`, hidden behind `_GNU_SOURCE`.
    private static let setSession: Int32 = 0x80
    private static let setSignalDefaults: Int32 = 0x04

    /// Starts `executable` (an absolute path) with exactly `environment`, standard input from
    /// `/dev/null` and standard output and error appended to `logFile`.
    public init(_ executable: String, _ arguments: [String], environment: [String: String],
                logFile: String) throws(SandboxError) {
        command = ([executable] + arguments).joined(separator: " ")
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logFile, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // A test runner blocks and ignores signals its children would inherit; a role must see SIGTERM.
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(Self.setSession | Self.setSignalDefaults | POSIX_SPAWN_SETSIGMASK))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let envp = environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { envp.forEach { free($0) } }
        var child: pid_t = 0
        let status = posix_spawn(&child, executable, &actions, &attributes, argv, envp)
        guard status == 0 else {
            throw .step("start \(command)", cause: SandboxError.request(target: executable, reason: String(cString: strerror(status))))
        }
        pid = child
        let process = self
        Thread.detachNewThread { process.reap() }
    }

    /// The exit status (or 128 + signal) once the process has exited.
    public var exitStatus: Int32? { state.withLock { $0.status } }
    public var isRunning: Bool { exitStatus == nil }

    /// Waits for the process to exit and returns its status.
    @discardableResult
    public func waitForExit() async -> Int32 {
        await withCheckedContinuation { continuation in
            let done: Int32? = state.withLock { state in
                if let status = state.status { return status }
                state.waiters.append(continuation)
                return nil
            }
            if let done { continuation.resume(returning: done) }
        }
    }

    /// SIGTERM, then SIGKILL when it has not exited after `grace`; returns once it is reaped.
    public func terminate(grace: Duration = .seconds(20)) async {
        guard isRunning else { return }
        kill(pid, SIGTERM)
        let process = self
        let killer = Task {
            try await Task.sleep(for: grace)
            if process.isRunning { kill(process.pid, SIGKILL) }
        }
        await waitForExit()
        killer.cancel()
    }

    private func reap() {
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) < 0 {
            guard errno == EINTR else { break }
        }
        let status = raw & 0x7f == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f)
        let waiters = state.withLock { state in
            state.status = status
            defer { state.waiters = [] }
            return state.waiters
        }
        waiters.forEach { $0.resume(returning: status) }
    }
}
