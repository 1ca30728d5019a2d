import Foundation
import Netlink
import Testing
@testable import CNIPlugin

/// upstream-cni §5.7–10: the IPAM reports eth0's addresses of the pod namespace and allocates nothing.
@Suite(.enabled(if: Host.isRoot, "needs root (creates network namespaces)"))
struct IPAMTests {
    let invocation = CNIInvocation(plugin: "egressgw-cni-ipam", version: "test", handler: EgressIPAM(), logger: quietLogger)

    func environment(_ command: String, netns: String) -> [String: String] {
        ["CNI_COMMAND": command, "CNI_CONTAINERID": Host.containerID(), "CNI_NETNS": netns, "CNI_IFNAME": "eth0",
         "CNI_PATH": "/opt/cni/bin", "CNI_ARGS": "IgnoreUnknown=1;K8S_POD_NAMESPACE=testns;K8S_POD_NAME=testpod"]
    }

    static let config = #"{"cniVersion":"1.0.0","name":"n","type":"egressgw-cni","ipam":{"type":"egressgw-cni-ipam"}}"#

    /// A pod namespace whose eth0 (one end of a veth, left down so the kernel adds no address of
    /// its own) has exactly `addresses`.
    func withPod(_ addresses: [String]?, _ body: (Scratch) async throws -> Void) async throws {
        let pod = try Scratch("ipam")
        defer { pod.remove() }
        if let addresses {
            try pod.links.addVeth(name: "eth0", peerName: "peer0")
            for address in addresses { try pod.address("eth0", address, flags: address.contains(":") ? .noDAD : []) }
        }
        try await body(pod)
    }

    @Test("eth0 with 10.4.0.100/28 and fe80::5/64: two IPs, IPv6 first (§5.9)", arguments: ["1.0.0", "0.3.1"])
    func addresses(version: String) async throws {
        try await withPod(["10.4.0.100/28", "fe80::5/64"]) { pod in
            let config = Self.config.replacingOccurrences(of: "1.0.0", with: version)
            let answer = await invocation.outcome(environment: environment("ADD", netns: pod.path)) { Array(config.utf8) }
            #expect(answer.exitStatus == 0)
            #expect(answer.standardOutput.contains("10.4.0.100/28") && answer.standardOutput.contains("fe80::5/64"))
            let result = try object(answer.standardOutput)
            #expect(result["cniVersion"] as? String == version)
            let ips = try #require(result["ips"] as? [[String: Any]])
            #expect(ips.map { $0["address"] as? String } == ["fe80::5/64", "10.4.0.100/28"])
            #expect(ips.allSatisfy { $0["gateway"] == nil && $0["interface"] == nil })
            #expect(ips.map { $0["version"] as? String } == (version == "0.3.1" ? ["6", "4"] : [nil, nil]))
            #expect(result["interfaces"] == nil && result["routes"] == nil)
        }
    }

    @Test("the last global IPv4 and the last link-local IPv6 in the kernel's order are chosen; others are skipped")
    func choice() async throws {
        try await withPod(["10.4.0.100/28", "10.4.0.101/28", "fe80::5/64", "fe80::6/64", "fd00::5/64"]) { pod in
            let result = try EgressIPAM.podAddresses(in: pod.namespace)
            // The kernel lists IPv6 addresses newest first; `ip` shows the same order.
            let listed = try #require(try pod.ipJSON(["addr", "show", "dev", "eth0"]).first?["addr_info"] as? [[String: Any]])
            func last(_ family: String, _ scope: String) -> String? {
                listed.last { $0["family"] as? String == family && $0["scope"] as? String == scope }
                    .map { "\($0["local"] ?? "")/\($0["prefixlen"] ?? "")" }
            }
            #expect(result.ips.map(\.address.description) == [last("inet6", "link"), last("inet", "global")].compactMap { $0 })
            #expect(result.ips.count == 2)
        }
    }

    @Test("no eth0, eth0 without IPv4, eth0 without IPv6: errors naming the problem (§5.7, §5.8)", arguments: [
        (nil, "get link \"eth0\""), (["fe80::5/64"], "has no global IPv4 address"), (["10.4.0.100/28"], "has no IPv6 link-local address"),
    ] as [([String]?, String)])
    func missing(addresses: [String]?, message: String) async throws {
        try await withPod(addresses) { pod in
            let answer = await invocation.outcome(environment: environment("ADD", netns: pod.path)) { Array(Self.config.utf8) }
            guard case .failure(let error) = answer else {
                Issue.record("expected an error, got \(answer)")
                return
            }
            #expect(error.code == .internalFailure)
            #expect(error.message.contains(message), "\(error.message)")
            if addresses == nil { #expect(error.message.hasSuffix("link not found")) }
        }
    }

    @Test("ipam.type missing is code 7; a namespace that does not exist is code 3")
    func badInput() async throws {
        let noType = await invocation.outcome(environment: environment("ADD", netns: "/var/run/netns/egw-cni-missing")) {
            Array(#"{"cniVersion":"1.0.0","name":"n"}"#.utf8)
        }
        #expect(noType == .failure(CNIError(code: .invalidConfig, message: "invalid network config: ipam.type should not be empty",
                                            cniVersion: .v1_0_0)))
        guard case .failure(let missing) = await invocation.outcome(environment: environment("ADD", netns: "/var/run/netns/egw-cni-missing"), input: {
            Array(Self.config.utf8)
        }) else {
            Issue.record("expected an error")
            return
        }
        #expect(missing.code == .unknownContainer)
    }

    @Test("DEL and CHECK succeed and print nothing (§5.10)")
    func deleteAndCheck() async throws {
        try await withPod(["10.4.0.100/28", "fe80::5/64"]) { pod in
            for command in ["DEL", "CHECK"] {
                #expect(await invocation.outcome(environment: environment(command, netns: pod.path)) { Array(Self.config.utf8) } == .reply(""))
            }
        }
    }
}
