#if canImport(Glibc)
import Glibc
#endif
import Netlink

/// The per-user limit on inotify instances, which userspace implementations draw on: each
/// wireguard-go process watches its own UAPI socket with one, so a node runs out after about
/// `fs.inotify.max_user_instances` tunnels (128 by default, shared with every other program of
/// the same user). An implementation that finds none left exits right after creating its
/// interface, which from outside looks like a socket that never answers; probing for a free
/// instance tells that case apart.
public enum InotifyInstances {
    /// The sysctl an administrator raises.
    public static let sysctl = "fs.inotify.max_user_instances"

    /// True when this process cannot create an inotify instance now (EMFILE). The implementation
    /// runs as the same user in the same user namespace, so it meets the same limit.
    static func exhausted() -> Bool {
        let fd = inotify_init1(Int32(IN_CLOEXEC))
        guard fd < 0 else {
            close(fd)
            return false
        }
        return errno == EMFILE
    }

    /// The sysctl's current value as `namespace` sees it (it is per user, not per network
    /// namespace); nil when it cannot be read.
    static func limit(in namespace: NetworkNamespace = .process) -> Int? {
        (try? namespace.readSysctl(sysctl)).flatMap { Int($0.filter { !$0.isWhitespace }) }
    }

    /// What to set instead of `limit`: room for a full node of tunnelled pods and everything else.
    static func suggestedLimit(above limit: Int?) -> Int {
        max(1024, (limit ?? 0) * 4)
    }

    /// The explanation ``WireGuardError/inotifyInstancesExhausted(device:executable:limit:)`` gives.
    static func explanation(limit: Int?) -> String {
        let value = limit.map(String.init) ?? "unreadable"
        let suggested = suggestedLimit(above: limit)
        return "no inotify instance is left for this user (\(sysctl) = \(value); every userspace WireGuard device holds one, "
            + "and so do other programs of the same user). Raise it on the node: sysctl -w \(sysctl)=\(suggested), "
            + "and put \"\(sysctl) = \(suggested)\" in a file under /etc/sysctl.d/ to keep it after a reboot"
    }
}
