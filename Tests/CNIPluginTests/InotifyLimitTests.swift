import Foundation
import Netlink
import Testing

/// Every pod's wireguard-go holds an inotify instance; past the user's limit it cannot start. The
/// limit is kept per user namespace, so the binary runs here as root of a user namespace of its own
/// (with its own mount and network namespaces) whose limit is 0: the host's setting, which every
/// test running at the same time shares, is never touched.
@Suite(.enabled(if: Host.isRoot && Host.hasWireGuardGo && FileManager.default.isExecutableFile(atPath: Binary.path)
                    && FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare"), "needs root, wireguard-go, unshare and the built binary"))
struct InotifyLimitTests {
    /// Runs inside the new namespaces: a private /var/run/wireguard, a pod namespace bound to a
    /// file, no inotify instance left, then ADD with the configuration on standard input.
    static let script = """
        set -e
        mkdir -p /var/run/wireguard
        mount -t tmpfs none /var/run/wireguard
        touch "$0/pod"
        unshare --net="$0/pod" true
        ip link set lo up
        echo 0 > /proc/sys/user/max_inotify_instances
        export CNI_NETNS="$0/pod"
        exec "$1"
        """

    @Test("ADD past the inotify limit fails with code 999 naming fs.inotify.max_user_instances, its value and the fix")
    func addPastTheLimit() throws {
        let directory = try TemporaryDirectory()
        let plugin = directory.path + "/egressgw-cni"
        try FileManager.default.createSymbolicLink(atPath: plugin, withDestinationPath: Binary.path)
        let config = try json([
            "cniVersion": "1.0.0", "name": "pods", "type": "egressgw-cni", "ipam": ["type": "egressgw-cni-ipam"],
            "managerSocket": "/nonexistent/egw/cni.sock", "capabilities": ["io.kubernetes.cri.pod-annotations": true],
            "runtimeConfig": ["io.kubernetes.cri.pod-annotations": ["kubernetes.azure.com/static-gateway-configuration": "gw1"]],
            "prevResult": ["cniVersion": "1.0.0", "interfaces": [["name": "eth0", "sandbox": directory.path + "/pod"]],
                           "ips": [["address": "10.128.0.5/16", "interface": 0]]],
        ] as [String: Any])
        let output = try NetworkNamespace.process.execute(
            "/usr/bin/unshare", ["--user", "--map-root-user", "--mount", "--net", "--propagation", "private",
                                 "/bin/sh", "-c", Self.script, directory.path, plugin],
            input: config,
            environment: ["CNI_COMMAND": "ADD", "CNI_CONTAINERID": Host.containerID(), "CNI_IFNAME": "eth0",
                          "CNI_ARGS": "K8S_POD_NAMESPACE=default;K8S_POD_NAME=p1", "CNI_PATH": directory.path,
                          "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"])
        #expect(output.exitCode == 1, "\(output.stdout) \(output.stderr)")
        let error = try object(output.stdout)
        #expect(error["code"] as? Int == 999)
        let message = try #require(error["msg"] as? String)
        let limit = try String(contentsOfFile: "/proc/sys/fs/inotify/max_user_instances", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(message.contains("pod default/p1, gateway gw1"), "\(message)")
        #expect(message.contains("exited during start-up: no inotify instance is left"), "\(message)")
        #expect(message.contains("fs.inotify.max_user_instances = \(limit)"), "\(message)")
        #expect(message.contains("sysctl -w fs.inotify.max_user_instances="), "\(message)")
        #expect(!message.contains("did not appear"), "\(message)")
    }
}
