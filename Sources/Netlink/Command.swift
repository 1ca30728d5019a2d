import CMnl
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// What a finished program printed and how it exited.
public struct CommandOutput: Sendable {
    public let exitCode: Int32
    public let standardOutput: [UInt8]
    public let standardError: [UInt8]

    public var stdout: String { String(decoding: standardOutput, as: UTF8.self) }
    public var stderr: String { String(decoding: standardError, as: UTF8.self) }
}

/// A program that could not be started, or that failed.
public enum CommandError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The executable is not on `PATH` (or the given path does not exist).
    case executableNotFound(String)
    /// `posix_spawn` failed for another reason.
    case spawnFailed(command: String, errno: Int32)
    /// The program ran and exited non-zero.
    case failed(command: String, exitCode: Int32, stderr: String)

    public var description: String {
        switch self {
        case .executableNotFound(let name): "executable \"\(name)\" not found (is its package installed?)"
        case .spawnFailed(let command, let code): "start \(command): \(String(cString: strerror(code)))"
        case .failed(let command, let code, let stderr):
            "\(command) exited \(code)" + (stderr.isEmpty ? "" : ": \(stderr.trimmingSuffix())")
        }
    }
}

extension NetworkNamespace {
    /// Runs a program to completion inside this namespace, feeding it `input` and capturing its
    /// output. A non-zero exit is returned, not thrown; see ``CommandOutput/exitCode``.
    ///
    /// `newSession` starts the program in a session of its own, for programs that fork a daemon
    /// (wireguard-go): the daemon then survives a terminal's Ctrl-C or a kill of our process group.
    public func execute(_ executable: String, _ arguments: [String], input: [UInt8] = [],
                        environment: [String: String]? = nil, newSession: Bool = false) throws -> CommandOutput {
        try perform {
            try Spawn.runToCompletion(executable, arguments, input: input, environment: environment, newSession: newSession)
        }
    }

    /// Like ``execute(_:_:input:environment:)`` but throws ``CommandError/failed(command:exitCode:stderr:)``
    /// when the program exits non-zero.
    @discardableResult
    public func executeChecked(_ executable: String, _ arguments: [String], input: [UInt8] = [],
                               environment: [String: String]? = nil) throws -> CommandOutput {
        let output = try execute(executable, arguments, input: input, environment: environment)
        guard output.exitCode == 0 else {
            throw CommandError.failed(command: ([executable] + arguments).joined(separator: " "),
                                      exitCode: output.exitCode, stderr: output.stderr)
        }
        return output
    }

    /// Starts a long-running program inside this namespace, detached: its own session, standard
    /// streams on `/dev/null`, none of this process's other descriptors, reaped by a background
    /// thread when it exits.
    @discardableResult
    public func launch(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> LaunchedProcess {
        let pid = try perform { try Spawn.start(executable, arguments, environment: environment, detached: true, newSession: true).pid }
        let process = LaunchedProcess(pid: pid)
        Self.detachThread {
            var status: Int32 = 0
            var result = waitpid(pid, &status, 0)
            while result < 0 && errno == EINTR { result = waitpid(pid, &status, 0) }
            process.exited(result == pid ? Spawn.exitCode(status) : nil)
        }
        return process
    }
}

/// A program started with ``NetworkNamespace/launch(_:_:environment:)``, which a thread of this
/// process waits for, so it never lingers as a zombie.
public final class LaunchedProcess: Sendable {
    public let pid: pid_t
    private let state = Mutex<(exited: Bool, code: Int32?)>((false, nil))

    init(pid: pid_t) { self.pid = pid }

    /// Whether the program has exited (and been reaped).
    public var hasExited: Bool { state.withLock { $0.exited } }

    /// The exit status once it has exited: 128+N after signal N; nil while it runs, or when
    /// another waiter of this process reaped it first.
    public var exitCode: Int32? { state.withLock { $0.code } }

    func exited(_ code: Int32?) { state.withLock { $0 = (true, code) } }
}

/// posix_spawn with pipes. Runs on whatever thread calls it, so the child inherits that thread's
/// network namespace; that is how ``NetworkNamespace`` starts programs inside a namespace.
enum Spawn {
    /// glibc's `POSIX_SPAWN_SETSID`, hidden behind `_GNU_SOURCE` in the headers Swift imports.
    static let setSessionFlag: Int32 = 0x80

    struct Started {
        let pid: pid_t
        let stdin: Int32, stdout: Int32, stderr: Int32
    }

    static func start(_ executable: String, _ arguments: [String], environment: [String: String]?,
                      detached: Bool, newSession: Bool) throws -> Started {
        let command = ([executable] + arguments).joined(separator: " ")
        if executable.contains("/") {
            guard access(executable, X_OK) == 0 else { throw CommandError.executableNotFound(executable) }
        } else if lookPath(executable) == nil {
            throw CommandError.executableNotFound(executable)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }

        var pipes: [(read: Int32, write: Int32)] = []
        if detached {
            for fd in inheritableDescriptors() { posix_spawn_file_actions_addclose(&actions, fd) }
            for fd: Int32 in 0...2 {
                posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0)
            }
        } else {
            for _ in 0..<3 {
                var fds: [Int32] = [0, 0]
                guard egressgw_pipe_cloexec(&fds) == 0 else { throw CommandError.spawnFailed(command: command, errno: errno) }
                pipes.append((fds[0], fds[1]))
            }
            posix_spawn_file_actions_adddup2(&actions, pipes[0].read, 0)
            posix_spawn_file_actions_adddup2(&actions, pipes[1].write, 1)
            posix_spawn_file_actions_adddup2(&actions, pipes[2].write, 2)
        }
        posix_spawnattr_setflags(&attributes, Int16((newSession ? Spawn.setSessionFlag : 0) | POSIX_SPAWN_SETSIGMASK))
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let envStrings: [UnsafeMutablePointer<CChar>?]? = environment.map { env in
            env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        }
        defer { envStrings?.forEach { free($0) } }

        var pid: pid_t = 0
        let status = envStrings.map { env in posix_spawnp(&pid, executable, &actions, &attributes, argv, env) }
            ?? posix_spawnp(&pid, executable, &actions, &attributes, argv, environ)
        if !pipes.isEmpty {
            close(pipes[0].read); close(pipes[1].write); close(pipes[2].write)
        }
        guard status == 0 else {
            pipes.forEach { close($0.write); close($0.read) }
            throw status == ENOENT ? CommandError.executableNotFound(executable) : CommandError.spawnFailed(command: command, errno: status)
        }
        return detached
            ? Started(pid: pid, stdin: -1, stdout: -1, stderr: -1)
            : Started(pid: pid, stdin: pipes[0].write, stdout: pipes[1].read, stderr: pipes[2].read)
    }

    static func runToCompletion(_ executable: String, _ arguments: [String], input: [UInt8],
                                environment: [String: String]?, newSession: Bool) throws -> CommandOutput {
        let child = try start(executable, arguments, environment: environment, detached: false, newSession: newSession)
        // A child that exits without reading all its input (iptables-restore refusing the first
        // line) must give this write EPIPE, not kill the whole process with SIGPIPE.
        let restoreSignals = blockBrokenPipe()
        defer { restoreSignals() }
        var out: [UInt8] = [], err: [UInt8] = []
        var written = 0
        var stdinFD = child.stdin
        if input.isEmpty { close(stdinFD); stdinFD = -1 }
        var open: Set<Int32> = [child.stdout, child.stderr]
        var chunk = [UInt8](repeating: 0, count: 65536)
        // poll() keeps the three streams moving together, so a chatty child never blocks on a full
        // pipe while we are still writing its input.
        while !open.isEmpty || stdinFD >= 0 {
            var fds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            if stdinFD >= 0 { fds.append(pollfd(fd: stdinFD, events: Int16(POLLOUT), revents: 0)) }
            guard poll(&fds, nfds_t(fds.count), -1) >= 0 || errno == EINTR else { break }
            for entry in fds where entry.revents != 0 {
                if entry.fd == stdinFD {
                    let n = input[written...].withUnsafeBytes { write(stdinFD, $0.baseAddress, min($0.count, 65536)) }
                    if n > 0 { written += n }
                    if n < 0 && errno != EINTR && errno != EAGAIN || written == input.count { close(stdinFD); stdinFD = -1 }
                } else {
                    let n = read(entry.fd, &chunk, chunk.count)
                    if n > 0 {
                        if entry.fd == child.stdout { out += chunk[0..<n] } else { err += chunk[0..<n] }
                    } else if n == 0 || errno != EINTR {
                        close(entry.fd); open.remove(entry.fd)
                    }
                }
            }
        }
        var status: Int32 = 0
        while waitpid(child.pid, &status, 0) < 0 && errno == EINTR {}
        return CommandOutput(exitCode: exitCode(status), standardOutput: out, standardError: err)
    }

    /// The exit code of a `waitpid` status: 128+N for a program killed by signal N, as shells report it.
    static func exitCode(_ status: Int32) -> Int32 {
        status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }

    /// The descriptors above standard error this process has open now. A detached program closes
    /// them all: it may outlive us by days, and a socket it held would keep a connection open
    /// (or, for a netlink socket, a network namespace alive) that we closed long ago.
    static func inheritableDescriptors() -> [Int32] {
        guard let directory = opendir("/proc/self/fd") else { return [] }
        defer { closedir(directory) }
        let own = dirfd(directory)
        var descriptors: [Int32] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if let fd = Int32(name), fd > 2, fd != own { descriptors.append(fd) }
        }
        return descriptors
    }

    /// Blocks SIGPIPE on the calling thread (the signal a write to a closed pipe sends to the writing
    /// thread); the returned closure discards one that became pending and restores the mask.
    static func blockBrokenPipe() -> () -> Void {
        var brokenPipe = sigset_t()
        sigemptyset(&brokenPipe)
        sigaddset(&brokenPipe, SIGPIPE)
        var previous = sigset_t()
        pthread_sigmask(SIG_BLOCK, &brokenPipe, &previous)
        return {
            var pending = sigset_t()
            if sigpending(&pending) == 0, sigismember(&pending, SIGPIPE) == 1 {
                var none = timespec()
                _ = sigtimedwait(&brokenPipe, nil, &none)
            }
            pthread_sigmask(SIG_SETMASK, &previous, nil)
        }
    }

    /// The first executable `name` on `PATH`.
    static func lookPath(_ name: String) -> String? {
        let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        for directory in path.split(separator: ":") where access("\(directory)/\(name)", X_OK) == 0 {
            return "\(directory)/\(name)"
        }
        return nil
    }
}

extension String {
    func trimmingSuffix() -> String {
        var text = self
        while let last = text.last, last.isWhitespace { text.removeLast() }
        return text
    }
}
