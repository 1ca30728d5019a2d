import Foundation
import Netlink
import Testing
@testable import Sandbox

/// Real mount and network namespaces, real processes: needs root.
@Suite("Node runner", .serialized, .enabled(if: SandboxTestSupport.isRoot, SandboxTestSupport.rootMessage))
struct NodeRunnerTests {
    private func withRunner(_ body: (SandboxLayout, NodeRunner, String) async throws -> Void) async throws {
        let state = "/tmp/egst-runner-\(UUID().uuidString.prefix(8))"
        // rm, not FileManager: the overlays' work directories are mode 000, which FileManager does not descend into.
        defer { _ = try? NetworkNamespace.process.execute("/bin/rm", ["-rf", state]) }
        try await SandboxTestSupport.withTopology(workers: 1, gateways: 1) { layout in
            let runner = NodeRunner(stateDirectory: state)
            do {
                try await body(layout, runner, state)
            } catch {
                _ = await runner.shutdown(grace: .seconds(2))
                throw error
            }
            #expect(await runner.shutdown(grace: .seconds(2)).isEmpty)
            #expect(MountTable.mountPoints(under: state).isEmpty)
        }
    }

    private func shell(_ name: String, on node: String, _ script: String) -> RoleProcess {
        RoleProcess(name: name, node: node, executable: "/bin/sh", arguments: ["-c", script],
                    environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "MY_NODE_NAME": node])
    }

    @Test("a role runs in its node's network namespace with the node's own /run, /etc/cni and /opt/cni, and nothing leaks to the host")
    func privateFileSystem() async throws {
        try await withRunner { layout, runner, state in
            let worker = layout.workers[0]
            let hostHad = ["/etc/cni", "/opt/cni", "/run/egressgw"].filter { FileManager.default.fileExists(atPath: $0) }
            let files = try await runner.addNode(worker)
            try await runner.start(shell("probe", on: worker.name, """
                mkdir -p /etc/cni/net.d /opt/cni/bin
                echo "$MY_NODE_NAME" > /run/egressgw/node
                ip -o -4 addr show dev eth0 > /run/egressgw/addresses
                ls /sys/class/net > /run/egressgw/devices
                ip netns add inner
                exec sleep 1000
                """))
            #expect(try await SandboxTestSupport.eventually { FileManager.default.fileExists(atPath: files.hostPath("/run/netns/inner")) })
            let directory = "\(state)/nodes/\(worker.name)"
            #expect(try String(contentsOfFile: "\(directory)/run/egressgw/node", encoding: .utf8) == "\(worker.name)\n")
            #expect(try String(contentsOfFile: "\(directory)/run/egressgw/addresses", encoding: .utf8).contains(" \(worker.primaryIP)/"))
            #expect(try String(contentsOfFile: "\(directory)/run/egressgw/devices", encoding: .utf8).split(separator: "\n").sorted() == ["eth0", "lo"])
            #expect(FileManager.default.fileExists(atPath: "\(directory)/etc/cni/net.d"))
            #expect(FileManager.default.fileExists(atPath: "\(directory)/opt/cni/bin"))
            #expect(["/etc/cni", "/opt/cni", "/run/egressgw"].filter { FileManager.default.fileExists(atPath: $0) } == hostHad)
            #expect(!FileManager.default.fileExists(atPath: "\(NetworkNamespace.runDirectory)/inner"))
            #expect(try NetlinkHandle(namespace: NetworkNamespace(path: files.hostPath("/run/netns/inner"))).link(named: "lo").index > 0)

            // A namespace the host makes in the node's directory (as the kubelet does for pods) shows inside.
            let pod = try NetworkNamespace.create(atPath: "\(files.netnsDirectory)/pod")
            try await runner.start(shell("reader", on: worker.name, "ip netns exec pod ip -o link show lo > /run/egressgw/pod; exec sleep 1000"))
            #expect(try await SandboxTestSupport.eventually {
                (try? String(contentsOfFile: "\(directory)/run/egressgw/pod", encoding: .utf8))?.contains("lo") == true
            })
            try pod.delete()
        }
    }

    @Test("a restarted role is a new process, and shutdown kills what roles left running in the node")
    func restartAndShutdown() async throws {
        try await withRunner { layout, runner, _ in
            let gateway = layout.gateways[0]
            try await runner.addNode(gateway)
            // A daemon in its own session, as wireguard-go makes itself: nobody records it.
            try await runner.start(shell("daemon", on: gateway.name, "setsid sleep 1001 & exec sleep 1000"))
            let first = try #require(await runner.process("daemon")?.pid)
            let namespace = "\(NetworkNamespace.runDirectory)/\(gateway.namespace)"
            // The anchor, the role and its daemon, before the restart.
            #expect(try await SandboxTestSupport.eventually { NamespaceMembers.pids(inNamespacesAt: [namespace]).count == 3 })
            try await runner.restart("daemon", grace: .seconds(2))
            let second = try #require(await runner.process("daemon")?.pid)
            #expect(first != second)
            #expect(kill(first, 0) != 0)
            // The anchor, the new role, and both daemons.
            #expect(try await SandboxTestSupport.eventually { NamespaceMembers.pids(inNamespacesAt: [namespace]).count == 4 },
                    "inside: \(NamespaceMembers.pids(inNamespacesAt: [namespace]))")
            #expect(await runner.shutdown(grace: .seconds(2)).isEmpty)
            #expect(NamespaceMembers.pids(inNamespacesAt: [namespace]).isEmpty)
        }
    }
}

@Suite("Namespace members", .enabled(if: SandboxTestSupport.isRoot, SandboxTestSupport.rootMessage))
struct NamespaceMembersTests {
    @Test("the processes inside a network namespace are found and killed, and no other")
    func findsAndKills() async throws {
        let namespace = try NetworkNamespace.create(named: "egst-members-\(UInt32.random(in: 0...UInt32.max))")
        defer { try? namespace.delete() }
        let log = "/tmp/egst-members-\(getpid()).log"
        defer { try? FileManager.default.removeItem(atPath: log) }
        let inside = try SpawnedProcess("/usr/bin/nsenter", ["--net=\(namespace.path)", "--", "/bin/sleep", "1000"],
                                        environment: [:], logFile: log)
        let outside = try SpawnedProcess("/bin/sleep", ["1000"], environment: [:], logFile: log)
        #expect(try await SandboxTestSupport.eventually { NamespaceMembers.pids(inNamespacesAt: [namespace.path]) == [inside.pid] })
        #expect(await NamespaceMembers.kill(inNamespacesAt: [namespace.path]).isEmpty)
        #expect(await inside.waitForExit() == 128 + SIGKILL)
        #expect(outside.isRunning)
        await outside.terminate(grace: .seconds(1))
    }
}
