import CMnl
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The userspace WireGuard implementations (wireguard-go) the daemon started, one per
/// `wg-<port>` link.
///
/// The WireGuard module starts wireguard-go in the foreground as a child of this process; an
/// implementation that daemonizes all the same forks its daemon and exits, and with the daemon
/// process made a child subreaper (``becomeSubreaper()``) that daemon becomes its child too,
/// instead of init's. This type finds them after each link creation, notes when each one exits
/// (a link deleted by the cleanup ends its implementation), and stops those still running when
/// the daemon stops, so that nothing outlives it: in a container the runtime would kill them
/// anyway, and out of one (tests, the sandbox) nothing is left behind.
///
/// Only processes found by name are waited for, never "any child": the data path's own
/// short-lived programs (iptables) are reaped by whoever ran them. A foreground implementation
/// is also waited for by the thread that launched it; whichever wait returns first reaps it, and
/// the other then learns that it has gone.
public final class UserspaceImplementations: Sendable {
    /// The implementation's program name as it appears in `argv[0]`.
    public let executable: String
    private let running = Mutex<[pid_t: String]>([:])

    public init(executable: String) {
        self.executable = (executable as NSString).lastPathComponent
    }

    /// Makes this process the reaper of its descendants' orphans (any process may; kernels since
    /// 3.4 have the option).
    public static func becomeSubreaper() throws(UserspaceProcessError) {
        guard egressgw_set_child_subreaper(1) == 0 else { throw .subreaper(errno: errno) }
    }

    public static var isSubreaper: Bool { egressgw_is_child_subreaper() == 1 }

    /// Device name by pid, of the implementations running now.
    public var processes: [pid_t: String] { running.withLock { $0 } }

    /// Takes charge of this process's children that run the implementation for one of `devices`.
    /// Returns the pids adopted.
    @discardableResult
    public func adopt(devices: [String]) -> [pid_t] {
        let wanted = Set(devices)
        guard !wanted.isEmpty else { return [] }
        var adopted: [pid_t] = []
        for (pid, arguments) in Self.children(of: getpid()) {
            guard let program = arguments.first, (program as NSString).lastPathComponent == executable,
                  let device = arguments.last, arguments.count >= 2, wanted.contains(device) else { continue }
            let isNew = running.withLock { running in
                guard running[pid] == nil else { return false }
                running[pid] = device
                return true
            }
            guard isNew else { continue }
            adopted.append(pid)
            let thread = Thread { [self] in
                var status: Int32 = 0
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                _ = running.withLock { $0.removeValue(forKey: pid) }
            }
            thread.name = "reap-\(device)"
            thread.start()
        }
        return adopted
    }

    /// Asks every adopted implementation to stop (SIGTERM: wireguard-go removes its interface and
    /// socket), waits up to `grace`, then kills what is left and waits for it to be reaped.
    public func stopAll(grace: Duration = .seconds(5)) async {
        for pid in processes.keys { kill(pid, SIGTERM) }
        let deadline = ContinuousClock.now + grace
        while !processes.isEmpty, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        for pid in processes.keys { kill(pid, SIGKILL) }
        while !processes.isEmpty {
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    /// The children of `parent` with their command lines, from `/proc`.
    static func children(of parent: pid_t) -> [(pid_t, [String])] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        var found: [(pid_t, [String])] = []
        for entry in entries {
            guard let pid = pid_t(entry), parentOf(pid) == parent,
                  let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { continue }
            let arguments = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            found.append((pid, arguments))
        }
        return found
    }

    /// The fourth field of `/proc/<pid>/stat`, read after the command name, which may hold spaces
    /// and parentheses itself.
    static func parentOf(_ pid: pid_t) -> pid_t? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 1 ? pid_t(fields[1]) : nil
    }
}

/// A process-management call failed.
public enum UserspaceProcessError: Error, CustomStringConvertible {
    case subreaper(errno: Int32)

    public var description: String {
        switch self {
        case .subreaper(let code): "make the daemon a child subreaper (prctl PR_SET_CHILD_SUBREAPER): \(String(cString: strerror(code)))"
        }
    }
}
