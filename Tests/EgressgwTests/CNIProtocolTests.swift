import Foundation
import Testing
@testable import egressgw

@Suite("CNI protocol pieces and argv[0] dispatch")
struct CNIProtocolTests {
    let plugin = CNIInvocation(plugin: "egressgw-cni", pendingDetails: "later")

    @Test("VERSION answers the exact version reply")
    func versionReply() {
        #expect(plugin.outcome(for: ["CNI_COMMAND": "VERSION"]) == .reply(
            #"{"cniVersion":"1.1.0","supportedVersions":["0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"]}"# + "\n"))
    }

    @Test("ADD, DEL, CHECK and GC are refused with code 4 naming CNI_COMMAND", arguments: ["ADD", "DEL", "CHECK", "GC"])
    func notImplemented(command: String) throws {
        guard case .failure(let error) = plugin.outcome(for: ["CNI_COMMAND": command]) else {
            Issue.record("expected a CNI error for \(command)")
            return
        }
        #expect(error.code == .invalidEnvironment)
        #expect(error.message.contains("CNI_COMMAND \(command)"))
        let fields = try #require(try JSONSerialization.jsonObject(with: Data(error.json.utf8)) as? [String: Any])
        #expect(fields["cniVersion"] as? String == "1.1.0")
        #expect(fields["code"] as? Int == 4)
        #expect(fields["details"] as? String == "later")
    }

    @Test("STATUS says the plugin cannot service ADD (code 50)")
    func status() {
        guard case .failure(let error) = plugin.outcome(for: ["CNI_COMMAND": "STATUS"]) else {
            Issue.record("expected a CNI error for STATUS")
            return
        }
        #expect(error.code == .pluginNotAvailable)
    }

    @Test("an unknown CNI_COMMAND is code 4 and lists the valid ones")
    func unknownCommand() {
        #expect(plugin.outcome(for: ["CNI_COMMAND": "add"]) == .failure(CNIError(
            code: .invalidEnvironment, message: "unknown CNI_COMMAND \"add\"",
            details: "CNI_COMMAND must be one of ADD, DEL, CHECK, STATUS, GC, VERSION")))
    }

    @Test("without CNI_COMMAND (or with an empty one) the plugin prints usage")
    func usage() {
        for environment in [[:], ["CNI_COMMAND": ""]] {
            guard case .usage(let text) = plugin.outcome(for: environment) else {
                Issue.record("expected usage for \(environment)")
                continue
            }
            #expect(text.hasPrefix("CNI egressgw-cni plugin version "))
            #expect(text.contains("0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0"))
        }
    }

    @Test("the CNI environment is read field by field")
    func environment() throws {
        let cni = try CNIEnvironment([
            "CNI_COMMAND": "ADD", "CNI_CONTAINERID": "abc", "CNI_NETNS": "/var/run/netns/p",
            "CNI_IFNAME": "eth0", "CNI_ARGS": "K8S_POD_NAME=web-0", "CNI_PATH": "/opt/cni/bin",
        ])
        #expect(cni.operation == .add)
        #expect(cni.containerID == "abc")
        #expect(cni.networkNamespace == "/var/run/netns/p")
        #expect(cni.interfaceName == "eth0")
        #expect(cni.arguments == "K8S_POD_NAME=web-0")
        #expect(cni.pluginPath == "/opt/cni/bin")
        #expect(cni.logMetadata["containerID"] == "abc")
    }

    @Test("an error without details leaves the key out")
    func errorWithoutDetails() {
        #expect(CNIError(code: .invalidEnvironment, message: "m").json == #"{"cniVersion":"1.1.0","code":4,"msg":"m"}"#)
    }

    @Test("argv[0] names map to subcommands, whatever the directory", arguments: [
        (["/opt/cni/bin/egressgw-cni"], ["cni"]),
        (["egressgw-cni-ipam", "--log-level", "debug"], ["cni-ipam", "--log-level", "debug"]),
        (["/usr/lib/cni/kube-egress-cni"], ["cni"]),
        (["./kube-egress-cni-ipam"], ["cni-ipam"]),
        (["/usr/local/bin/egressgw", "version"], ["version"]),
        (["egressgw-cni-extra"], []),
    ])
    func invocationName(commandLine: [String], expected: [String]) {
        #expect(InvocationName.arguments(from: commandLine) == expected)
    }
}
