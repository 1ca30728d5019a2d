import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The processes inside given namespaces, found as `ip netns pids` does: by comparing the inode
/// of each process's `/proc/<pid>/ns/<kind>` with the namespaces'. This catches what no one
/// recorded, such as the wireguard-go daemons the roles and the CNI plugin start.
public enum NamespaceMembers {
    /// Pids (other than this process) inside any of the namespaces at `paths` (netns bind mounts,
    /// `/proc/<pid>/ns/net` or `/proc/<pid>/ns/mnt`).
    public static func pids(inNamespacesAt paths: [String]) -> [Int32] {
        pids(inNamespaces: Set(paths.compactMap(inode(of:))))
    }

    static func pids(inNamespaces inodes: Set<UInt64>) -> [Int32] {
        guard !inodes.isEmpty else { return [] }
        let own = getpid()
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            pid != own && ["net", "mnt"].contains { kind in
                guard let link = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/\(kind)") else { return false }
                return inodes.contains(link.split(separator: "[").last.flatMap { UInt64($0.dropLast()) } ?? 0)
            }
        }
    }

    /// SIGKILLs every process inside the namespaces at `paths` until none is left or `attempts`
    /// rounds passed (a dying daemon may fork once more); returns the pids still there.
    @discardableResult
    public static func kill(inNamespacesAt paths: [String], attempts: Int = 20) async -> [Int32] {
        // Read once: a path through /proc/<anchor>/root stops resolving when the anchor dies.
        let inodes = Set(paths.compactMap(inode(of:)))
        var remaining = pids(inNamespaces: inodes)
        var round = 0
        while !remaining.isEmpty, round < attempts {
            remaining.forEach { _ = Glibc.kill($0, SIGKILL) }
            try? await Task.sleep(for: .milliseconds(100))
            remaining = pids(inNamespaces: inodes).filter { !isZombie($0) }
            round += 1
        }
        return remaining
    }

    static func inode(of path: String) -> UInt64? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return UInt64(info.st_ino)
    }

    /// A zombie's namespaces are gone already; only its parent can remove it.
    static func isZombie(_ pid: Int32) -> Bool {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return true }
        return text[text.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
    }
}
