import Netlink
import Testing
@testable import WireGuard
#if canImport(Glibc)
import Glibc
#endif

/// A userspace implementation that dies during start-up: what the error says, and that it comes
/// at once rather than after the socket timeout. The inotify limit itself is never lowered here
/// (it is per user and machine-wide, shared with every test running at the same time), so its
/// message is checked through the builder.
@Suite("WireGuard userspace start failures")
struct StartFailureTests {
    @Test func inotifyMessageNamesTheSysctlItsValueAndTheFix() {
        let message = "\(WireGuardError.inotifyInstancesExhausted(device: "wgabc", executable: "/usr/bin/wireguard-go", limit: 128))"
        #expect(message.hasPrefix("create WireGuard device \"wgabc\": /usr/bin/wireguard-go exited during start-up: "))
        #expect(message.contains("fs.inotify.max_user_instances = 128"))
        #expect(message.contains("sysctl -w fs.inotify.max_user_instances=1024"))
        #expect(message.contains("/etc/sysctl.d/"))
    }

    @Test func suggestedLimitGrowsWithTheCurrentOne() {
        #expect(InotifyInstances.suggestedLimit(above: 128) == 1024)
        #expect(InotifyInstances.suggestedLimit(above: 8192) == 32768)
        #expect(InotifyInstances.suggestedLimit(above: nil) == 1024)
        let unreadable = "\(WireGuardError.inotifyInstancesExhausted(device: "wgabc", executable: "wireguard-go", limit: nil))"
        #expect(unreadable.contains("fs.inotify.max_user_instances = unreadable"))
    }

    @Test func limitIsTheSysctlAndTheProbeKeepsNoDescriptor() throws {
        let text = try NetworkNamespace.process.executeChecked("/bin/cat", ["/proc/sys/fs/inotify/max_user_instances"]).stdout
        #expect(InotifyInstances.limit() == Int(text.filter { !$0.isWhitespace }))
        let before = openDescriptors()
        _ = InotifyInstances.exhausted()
        #expect(openDescriptors() <= before)
    }

    /// An implementation that creates its interface, exits 0 as a daemonizing launcher does, and
    /// whose "daemon" then goes away: the interface disappearing ends the wait, long before the
    /// (here very long) creation timeout.
    @Test(.enabled(if: Host.isRoot, "needs root"))
    func daemonThatDiesIsReportedAtOnce() throws {
        let scratch = try ScratchNamespace("dies")
        defer { scratch.remove() }
        let directory = try TemporaryScript(body: """
            ip tuntap add dev "$1" mode tun || exit 1
            (sleep 2; ip link del "$1") </dev/null >/dev/null 2>&1 &
            """)
        defer { directory.remove() }
        let name = Host.deviceName()
        let client = try WireGuardClient(namespace: scratch.namespace,
                                         options: WireGuardOptions(backend: .userspace, userspaceExecutable: directory.script,
                                                                   creationTimeout: .seconds(120)))
        #expect {
            try client.createDevice(named: name)
        } throws: { error in
            guard case .userspaceStartFailed(let device, let executable, let detail)? = error as? WireGuardError else { return false }
            return device == name && executable == directory.script && detail.contains("exited before the UAPI socket")
        }
        try BadInputTests.expectNoLinks(scratch)
    }

    private func openDescriptors() -> Int {
        guard let directory = opendir("/proc/self/fd") else { return 0 }
        defer { closedir(directory) }
        var count = 0
        while readdir(directory) != nil { count += 1 }
        return count
    }
}

/// A shell script in a fresh temporary directory, standing in for a userspace implementation.
private struct TemporaryScript {
    let directory: String
    var script: String { directory + "/fake-wireguard" }

    init(body: String) throws {
        var template = Array("/tmp/egw-wg-script-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw NetlinkError(operation: "mkdtemp", errno: errno) }
        directory = String(cString: made)
        // Written by a child process: a write descriptor of ours, inherited by a program another
        // test starts at that moment, would make executing the script fail with ETXTBSY.
        try NetworkNamespace.process.executeChecked("/bin/sh", ["-c", "cat > \"$0\" && chmod 755 \"$0\"", script],
                                                    input: Array(("#!/bin/sh\n" + body + "\n").utf8))
    }

    func remove() {
        unlink(script)
        rmdir(directory)
    }
}
