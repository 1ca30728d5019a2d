import Foundation
import Synchronization

/// A child process started with `posix_spawn`, its output collected by a thread of its own and its exit reaped
/// there too, so that waiting for it never blocks a thread of Swift's cooperative pool.
///
/// Foundation's `Process` is not used: with several processes started and awaited concurrently it was seen to lose
/// terminations (handlers never called, readers never at end of file), hanging the waiter. The child gets an empty
/// signal mask and default signal dispositions (a test runner blocks some signals, which children would inherit),
/// standard input from `/dev/null`, and no other descriptor of this process (all are close-on-exec).
final class ChildProcess: Sendable {
    /// What a finished process left.
    struct Result: Sendable, CustomStringConvertible {
        var status: Int32
        var output: String
        var error: String
        var description: String { "exit \(status)\nstdout:\n\(output)\nstderr:\n\(error)" }
    }

    private struct State {
        var output: [UInt8] = []
        var error: [UInt8] = []
        var status: Int32?
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter = 0
    }

    let pid: pid_t
    let command: String
    private let state = Mutex(State())

    /// Starts `executable` with `arguments`; `environment` nil keeps this process's environment.
    init(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws(ChildProcessError) {
        command = ([executable] + arguments).joined(separator: " ")
        var outputPipe: [Int32] = [0, 0]
        var errorPipe: [Int32] = [0, 0]
        // Socket pairs rather than pipes: they can be made close-on-exec atomically (pipe2 is not imported), so a
        // process spawned by another thread meanwhile never inherits them.
        let type = Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue)
        guard socketpair(AF_UNIX, type, 0, &outputPipe) == 0 else { throw .spawn(command, errno) }
        guard socketpair(AF_UNIX, type, 0, &errorPipe) == 0 else {
            close(outputPipe[0]); close(outputPipe[1])
            throw .spawn(command, errno)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outputPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errorPipe[1], 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let variables = (environment ?? ProcessInfo.processInfo.environment).map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in variables { free(pointer) }
        }
        var child: pid_t = 0
        let result = posix_spawn(&child, executable, &actions, &attributes, argv, variables)
        close(outputPipe[1])
        close(errorPipe[1])
        guard result == 0 else {
            close(outputPipe[0]); close(errorPipe[0])
            throw .spawn(command, result)
        }
        pid = child
        let output = outputPipe[0]
        let error = errorPipe[0]
        Thread.detachNewThread { [self] in collect(output: output, error: error) }
    }

    /// Reads both pipes until end of file, then reaps the child.
    private func collect(output: Int32, error: Int32) {
        var descriptors = [pollfd(fd: output, events: Int16(POLLIN), revents: 0),
                           pollfd(fd: error, events: Int16(POLLIN), revents: 0)]
        var buffer = [UInt8](repeating: 0, count: 65536)
        while descriptors.contains(where: { $0.fd >= 0 }) {
            if poll(&descriptors, nfds_t(descriptors.count), -1) < 0 {
                if errno == EINTR { continue }
                break
            }
            for index in descriptors.indices where descriptors[index].fd >= 0 && descriptors[index].revents != 0 {
                let count = buffer.withUnsafeMutableBytes { read(descriptors[index].fd, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR { continue }
                if count <= 0 {
                    close(descriptors[index].fd)
                    descriptors[index].fd = -1
                    continue
                }
                let bytes = buffer[..<count]
                let isOutput = index == 0
                wake { state in
                    if isOutput { state.output += bytes } else { state.error += bytes }
                }
            }
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exit = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        wake { $0.status = exit }
    }

    private func wake(_ change: (inout State) -> Void) {
        let waiters = state.withLock { state in
            change(&state)
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    var output: String { state.withLock { String(decoding: $0.output, as: UTF8.self) } }
    var errorOutput: String { state.withLock { String(decoding: $0.error, as: UTF8.self) } }
    var isRunning: Bool { state.withLock { $0.status == nil } }

    /// Waits until `condition` holds (re-checked after every output chunk and at exit) or `deadline` passes;
    /// returns whether it holds.
    func wait(until condition: @escaping @Sendable (_ output: [UInt8], _ error: [UInt8], _ status: Int32?) -> Bool,
              deadline: Duration) async -> Bool
    {
        let clock = ContinuousClock()
        let end = clock.now + deadline
        while true {
            let (holds, exited) = state.withLock { (condition($0.output, $0.error, $0.status), $0.status != nil) }
            if holds { return true }
            if exited || clock.now >= end { return false }
            await withTaskGroup(of: Void.self) { group in
                group.addTask { [self] in await nextChange(condition) }
                group.addTask { try? await Task.sleep(for: .milliseconds(250)) }
                await group.next()
                group.cancelAll()
            }
        }
    }

    /// Returns after the next output or exit, or at once when `condition` already holds or the task is cancelled.
    private func nextChange(_ condition: @escaping @Sendable ([UInt8], [UInt8], Int32?) -> Bool) async {
        let id = state.withLock { state in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let ready = state.withLock { state -> Bool in
                    if Task.isCancelled || condition(state.output, state.error, state.status) || state.status != nil {
                        return true
                    }
                    state.waiters[id] = continuation
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }

    /// Waits for the process to exit (killing it after `deadline`).
    func finished(deadline: Duration = .seconds(60)) async -> Result {
        if !(await wait(until: { _, _, status in status != nil }, deadline: deadline)) {
            stop()
            _ = await wait(until: { _, _, status in status != nil }, deadline: .seconds(10))
        }
        return state.withLock {
            Result(status: $0.status ?? -1, output: String(decoding: $0.output, as: UTF8.self),
                   error: String(decoding: $0.error, as: UTF8.self))
        }
    }

    /// Sends SIGKILL unless the process has already been reaped (so a reused pid is never signalled).
    func stop() {
        state.withLock { state in
            if state.status == nil { kill(pid, SIGKILL) }
        }
    }
}

/// A child process could not be started.
enum ChildProcessError: Error, CustomStringConvertible {
    case spawn(String, Int32)

    var description: String {
        switch self {
        case .spawn(let command, let code): "start \(command): \(String(cString: strerror(code)))"
        }
    }
}
