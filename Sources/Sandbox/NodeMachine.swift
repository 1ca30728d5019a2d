import Foundation
import Netlink
#if canImport(Glibc)
import Glibc
#endif

/// The file system of one emulated node, as its processes see it: a mount namespace of its own,
/// held open by an anchor process (`sleep infinity`) in the node's network namespace.
///
/// Inside it, `/run` is the node's own directory (`<state>/nodes/<node>/run`, so
/// `/var/run/netns`, `/var/run/wireguard` and `/var/run/egressgw` are per node, as on separate
/// machines), `/etc` and `/opt` are overlays whose upper layers are `<state>/nodes/<node>/etc` and
/// `.../opt` (where `/etc/cni/net.d` and `/opt/cni/bin` live, without touching the host's), and
/// `/sys` shows the node's network devices. The namespace is a slave of the host's: mounts the host
/// makes in the node's netns directory (pod namespaces made by the kubelet) appear inside; nothing
/// made inside (the gateway's `ns-static-egress-gateway`) leaks out. Those reach the host through
/// `/proc/<anchor>/root`, which resolves paths in the node's mount namespace.
public struct NodeFileSystem: Sendable, Hashable {
    /// The pid of the anchor that holds the namespace.
    public let anchorPID: Int32
    /// `<state>/nodes/<node>`: the host directory behind the node's `/run`, `/etc` and `/opt`.
    public let directory: String

    /// The node's mount namespace, for `nsenter --mount`.
    public var mountNamespace: String { "/proc/\(anchorPID)/ns/mnt" }

    /// Where this process reaches `nodePath` of the node (final symlinks are the node's to resolve:
    /// an absolute link target would be looked up in the host's root).
    public func hostPath(_ nodePath: String) -> String { "/proc/\(anchorPID)/root" + nodePath }

    /// The host directory whose mounts propagate into the node's `/var/run/netns`.
    public var netnsDirectory: String { directory + "/run/netns" }

    /// The command line that runs `executable` inside the node's mount namespace (the caller
    /// chooses the network namespace: a thread inside it, or `--net` added by ``NodeMachine``).
    public func command(_ executable: String, _ arguments: [String], enteringNetwork: Bool = false) -> (String, [String]) {
        (NodeMachine.nsenter, ["--target", "\(anchorPID)", "--mount"] + (enteringNetwork ? ["--net"] : []) + ["--", executable] + arguments)
    }
}

/// Creates and removes the mount namespace of one node (see ``NodeFileSystem``).
public enum NodeMachine {
    static let nsenter = "/usr/bin/nsenter"
    static let unshare = "/usr/bin/unshare"

    /// What the anchor runs after `unshare --mount --propagation slave` inside the node's netns.
    /// The overlays come before `/run` is replaced, because their layers may live under the host's `/run`.
    static let script = """
        set -e
        node="$1"
        for dir in etc opt; do
          mount -t overlay "egsb-$dir" -o "lowerdir=/$dir,upperdir=$node/$dir,workdir=$node/.work/$dir" "/$dir"
        done
        mount --rbind "$node/run" /run
        umount -l /sys
        mount -t sysfs sysfs /sys
        exec sleep infinity
        """

    /// Makes the node's directories and starts its anchor in `node`'s network namespace; returns
    /// once the mounts are in place.
    public static func start(_ node: NodeLayout, directory: String, logFile: String) async throws(SandboxError) -> (NodeFileSystem, SpawnedProcess) {
        try SandboxError.during("prepare the directories of node \(node.name)") {
            for path in ["run/netns", "run/wireguard", "run/egressgw", "etc", "opt", ".work/etc", ".work/opt"] {
                try FileManager.default.createDirectory(atPath: "\(directory)/\(path)", withIntermediateDirectories: true)
            }
        }
        try shareNetnsDirectory(directory + "/run/netns")
        let anchor = try SpawnedProcess(
            nsenter, ["--net=\(NetworkNamespace.runDirectory)/\(node.namespace)", "--", unshare, "--mount", "--propagation", "slave",
                      "--", "/bin/sh", "-c", script, "egsb-node-\(node.name)", directory],
            environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"], logFile: logFile)
        // The anchor is ready when the script has exec'd `sleep`; it failed when it exited instead.
        let deadline = ContinuousClock.now + .seconds(20)
        while anchor.isRunning, ContinuousClock.now < deadline {
            if (try? String(contentsOfFile: "/proc/\(anchor.pid)/comm", encoding: .utf8))?.hasPrefix("sleep") == true {
                return (NodeFileSystem(anchorPID: anchor.pid, directory: directory), anchor)
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
        await anchor.terminate(grace: .seconds(1))
        try? unmount(directory + "/run/netns")
        let log = (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? ""
        throw .step("set up the mount namespace of node \(node.name)",
                    cause: SandboxError.request(target: "anchor", reason: "did not start: \(log.suffix(500))"))
    }

    /// Undoes ``start``'s host side once the anchor and every process of the node are gone.
    public static func removeHostMounts(directory: String) throws(SandboxError) {
        try unmount(directory + "/run/netns")
    }

    /// A bind mount of the directory on itself, shared: the namespaces the host mounts there show
    /// up in the node, whose copy of this mount is a slave of it.
    static func shareNetnsDirectory(_ path: String) throws(SandboxError) {
        guard !MountTable.mountPoints(under: path).contains(path) else { return }
        guard mount(path, path, "none", UInt(MS_BIND), nil) == 0,
              mount("", path, "none", UInt(MS_SHARED), nil) == 0 else {
            throw .step("share \(path)", cause: SandboxError.request(target: path, reason: String(cString: strerror(errno))))
        }
    }

    /// Detaches every mount at or under `path` (deepest first).
    static func unmount(_ path: String) throws(SandboxError) {
        for point in MountTable.mountPoints(under: path).sorted(by: { $0.count > $1.count }) {
            guard umount2(point, Int32(MNT_DETACH)) == 0 || errno == EINVAL || errno == ENOENT else {
                throw .step("unmount \(point)", cause: SandboxError.request(target: point, reason: String(cString: strerror(errno))))
            }
        }
    }
}

/// This process's mount table, as `/proc/self/mountinfo` shows it.
public enum MountTable {
    /// Mount points equal to `path` or below it.
    public static func mountPoints(under path: String) -> [String] {
        guard let text = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count > 4 else { return nil }
            let point = unescape(String(fields[4]))
            return point == path || point.hasPrefix(path + "/") ? point : nil
        }
    }

    /// mountinfo escapes space, tab, newline and backslash as octal.
    private static func unescape(_ field: String) -> String {
        field.replacingOccurrences(of: "\\040", with: " ").replacingOccurrences(of: "\\011", with: "\t")
            .replacingOccurrences(of: "\\012", with: "\n").replacingOccurrences(of: "\\134", with: "\\")
    }
}
