import Foundation
import Netlink
import Testing
@testable import CNIPlugin

/// One pod's world for a chain test: a "node" namespace playing the runtime's host, a "pod"
/// namespace, a temporary directory for host-local's state, and a runtime running Debian's
/// `bridge` + `host-local` and then our plugin: in-process against ``FakeManager``, or (with
/// `binary`) the built `egressgw` through `egressgw-cni` / `egressgw-cni-ipam` symlinks in
/// `CNI_PATH`, as a runtime would find it.
/// ``remove()`` deletes the tunnel, waits for its wireguard-go to exit and deletes both namespaces.
final class ChainFixture {
    let node: Scratch
    let pod: Scratch
    let directory: TemporaryDirectory
    let bridge: String
    let octet: Int
    let containerID: String
    let manager: FakeManager
    var runtime: MiniRuntime

    var subnet: String { "10.99.\(octet).0/24" }
    var gateway: String { "10.99.\(octet).1" }
    /// host-local hands out the first free address after the gateway.
    var podIP: String { "10.99.\(octet).2" }
    var temporary: String { "wg" + containerID.prefix(8) }

    init(_ tag: String, manager: FakeManager = FakeManager(), version: String = "1.0.0", egress: [String: Any] = [:],
         annotations: [String: String]? = [EgressPlugin.gatewayAnnotation: "sgw1"], binary: Bool = false,
         configure: (inout EgressPlugin.Options) -> Void = { _ in }) throws {
        node = try Scratch("\(tag)-node")
        do {
            pod = try Scratch("\(tag)-pod")
        } catch {
            node.remove()
            throw error
        }
        directory = try TemporaryDirectory()
        for name in ["egressgw-cni", "egressgw-cni-ipam"] {
            try FileManager.default.createSymbolicLink(atPath: "\(directory.path)/\(name)", withDestinationPath: Binary.path)
        }
        octet = Host.subnetOctet()
        bridge = "egwbr\(Host.next())"
        containerID = Host.containerID()
        self.manager = manager
        var options = EgressPlugin.Options(hostNamespace: node.namespace)
        configure(&options)
        let plugin = EgressPlugin(options: options, logger: quietLogger) { _ in manager }
        runtime = MiniRuntime(
            conflist: chainConflist(version: version, bridge: bridge, subnet: "10.99.\(octet).0/24",
                                    dataDir: directory.path + "/host-local", egress: egress),
            pluginPath: ["/usr/lib/cni", directory.path], node: node.namespace,
            inProcess: binary ? [:] : ["egressgw-cni": CNIInvocation(plugin: "egressgw-cni", version: "test", handler: plugin, logger: quietLogger)],
            containerID: containerID, netns: pod.path)
        runtime.annotations = annotations
    }

    func remove() {
        try? pod.links.deleteLink(named: "wg0")
        try? node.links.deleteLink(named: temporary)
        _ = try? noWireGuardGo(for: temporary)
        pod.remove()
        node.remove()
    }

    /// Runs the main plugin alone and returns its result text (what our plugin gets as prevResult).
    func addMain() async throws -> String {
        let answer = try await runtime.invoke("ADD", runtime.plugins[0], previous: nil)
        try #require(answer.succeeded, "bridge ADD failed: \(answer.stdout) \(answer.stderr)")
        return answer.stdout
    }

    /// Runs our plugin alone after `addMain()`.
    func addEgress(previous: String) async throws -> MiniRuntime.Answer {
        try await runtime.invoke("ADD", runtime.plugins[1], previous: try JSONSerialization.jsonObject(with: Data(previous.utf8)))
    }

    /// CHECK of our plugin alone with the chain's cached result. The reference plugins' own CHECK
    /// cannot pass after ours: they look up every route of the result as a plain gateway route,
    /// and an IPv4 route via an IPv6 next hop (`0.0.0.0/0` via `fe80::1`) is not one.
    func checkEgress(cached result: String) async throws -> MiniRuntime.Answer {
        try await runtime.invoke("CHECK", runtime.plugins[1], previous: try JSONSerialization.jsonObject(with: Data(result.utf8)))
    }

    /// The whole list; requires success and returns the final result text.
    func addChain() async throws -> String {
        let answers = try await runtime.add()
        let last = try #require(answers.last)
        try #require(answers.count == 2 && last.succeeded, "chain ADD failed at \(last.type): \(last.stdout) \(last.stderr)")
        return last.stdout
    }

    /// Whatever of ADD's traces can be seen from outside: our links, the wireguard-go process,
    /// the policy rule and table 8738, the mangle rules.
    func expectNoTraces(sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(!(try pod.linkNames().contains("wg0")), "wg0 left in the pod", sourceLocation: sourceLocation)
        #expect(!(try node.linkNames().contains(temporary)), "\(temporary) left in the node", sourceLocation: sourceLocation)
        #expect(try noWireGuardGo(for: temporary), "wireguard-go \(temporary) still runs", sourceLocation: sourceLocation)
        #expect(!(try pod.run("ip", ["-4", "rule"]).stdout.contains("0x2222")), "fwmark rule left", sourceLocation: sourceLocation)
        // `ip` fails ("FIB table does not exist") when nothing ever used the table.
        #expect(try pod.namespace.execute("ip", ["-4", "route", "show", "table", "8738"]).stdout.isEmpty, "table 8738 not empty",
                sourceLocation: sourceLocation)
        #expect(!(try pod.mangle().contains { $0.hasPrefix("-A") }), "mangle rules left", sourceLocation: sourceLocation)
    }
}
