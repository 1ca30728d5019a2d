import Foundation
import Netlink
import Testing
@testable import CNIPlugin

/// A handler that records what reached it and answers with fixed values; for the protocol layer.
struct RecordingHandler: CNIHandler {
    let result = CNIResult(interfaces: [.init(name: "eth0", sandbox: "/var/run/netns/p")],
                           ips: [.init(address: cidr("10.1.0.5/16"), gateway: nil, interface: 0)])
    func add(_ request: CNIRequest) async throws(CNIError) -> CNIResult { result }
    func delete(_ request: CNIRequest) async throws(CNIError) { throw CNIError(code: .internalFailure, message: "delete broke") }
    func check(_ request: CNIRequest) async throws(CNIError) {}
    func status(_ request: CNIRequest) async throws(CNIError) {}
    func garbageCollect(_ request: CNIRequest) async throws(CNIError) {}
}

@Suite("CNI protocol: environment, versions, error objects")
struct ProtocolTests {
    let invocation = CNIInvocation(plugin: "egressgw-cni", version: "9.9.9", handler: RecordingHandler(), logger: quietLogger)

    func outcome(_ environment: [String: String], _ input: String = "") async -> CNIInvocation.Outcome {
        await invocation.outcome(environment: environment) { Array(input.utf8) }
    }

    func failure(_ environment: [String: String], _ input: String = "") async throws -> CNIError {
        guard case .failure(let error) = await outcome(environment, input) else {
            Issue.record("expected a CNI error for \(environment) with \(input)")
            throw CancellationError()
        }
        return error
    }

    static let add = ["CNI_COMMAND": "ADD", "CNI_CONTAINERID": "0123456789", "CNI_NETNS": "/var/run/netns/p",
                      "CNI_IFNAME": "eth0", "CNI_PATH": "/opt/cni/bin"]
    static func with(_ command: String) -> [String: String] { add.merging(["CNI_COMMAND": command]) { _, new in new } }

    @Test("VERSION answers the exact version reply, without reading stdin")
    func versionReply() async {
        let answer = await invocation.outcome(environment: ["CNI_COMMAND": "VERSION"]) {
            Issue.record("VERSION must not read stdin")
            return []
        }
        #expect(answer == .reply(#"{"cniVersion":"1.1.0","supportedVersions":["0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"]}"# + "\n"))
        #expect(answer.exitStatus == 0 && answer.standardError.isEmpty)
    }

    @Test("without CNI_COMMAND (or with an empty one) the plugin prints usage on stderr")
    func usage() async {
        for environment in [[:], ["CNI_COMMAND": ""]] {
            let answer = await outcome(environment)
            guard case .usage(let text) = answer else {
                Issue.record("expected usage for \(environment)")
                continue
            }
            #expect(text.hasPrefix("CNI egressgw-cni plugin version 9.9.9"))
            #expect(text.contains("0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0"))
            #expect(answer.standardOutput.isEmpty && answer.exitStatus == 0)
        }
    }

    @Test("an unknown CNI_COMMAND is code 4 and lists the valid ones")
    func unknownCommand() async {
        #expect(await outcome(["CNI_COMMAND": "add"]) == .failure(CNIError(
            code: .invalidEnvironment, message: "unknown CNI_COMMAND \"add\"",
            details: "CNI_COMMAND must be one of ADD, DEL, CHECK, STATUS, GC, VERSION")))
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

    @Test("ADD without a required variable is code 4 naming every missing one")
    func missingVariables() async throws {
        let error = try await failure(["CNI_COMMAND": "ADD", "CNI_CONTAINERID": "0123456789"], #"{"cniVersion":"1.0.0","name":"n"}"#)
        #expect(error.code == .invalidEnvironment)
        #expect(error.message == "ADD needs CNI_NETNS, CNI_IFNAME, CNI_PATH, which the runtime did not set")
    }

    @Test("stdin that is not JSON is code 6; a bad field is code 7 naming it", arguments: [
        ("not json", UInt(6), "failed to parse CNI config: document:"),
        (#"{"cniVersion":"1.0.0","name":"n","excludedCIDRs":"10.0.0.0/8"}"#, UInt(7), "failed to parse CNI config: excludedCIDRs: expected an array"),
        (#"{"cniVersion":"1.0.0","name":"n","prevResult":{"ips":[{"address":"10.0.0.300/24"}]}}"#, UInt(7),
         #"failed to parse CNI config: prevResult.ips[0].address: "10.0.0.300/24" is not an address/prefix"#),
        (#"{"cniVersion":"1.0.0","name":"n","prevResult":{"interfaces":[],"ips":[{"address":"10.0.0.3/24","interface":2}]}}"#, UInt(7),
         "failed to parse CNI config: prevResult.ips[0]: interface index 2 is outside the 0 interfaces"),
        (#"{"cniVersion":"1.0.0"}"#, UInt(7), #"invalid network config: name "": must start with a letter or digit"#),
        (#"{"cniVersion":"1.0.0","name":"-bad"}"#, UInt(7), #"invalid network config: name "-bad""#),
    ])
    func badConfig(input: String, code: UInt, message: String) async throws {
        let error = try await failure(Self.add, input)
        #expect(error.code.rawValue == code)
        #expect(error.message.hasPrefix(message), "\(error.message)")
    }

    @Test("a config version outside 0.3.0–1.1.0 (or none) is code 1", arguments: [
        #"{"name":"n"}"#, #"{"cniVersion":"0.2.0","name":"n"}"#, #"{"cniVersion":"2.0.0","name":"n"}"#, #"{"cniVersion":"v1","name":"n"}"#,
    ])
    func incompatibleVersion(input: String) async throws {
        let error = try await failure(Self.add, input)
        #expect(error.code == .incompatibleVersion)
        #expect(error.message.hasPrefix("incompatible CNI versions: config is"))
        #expect(error.details == "plugin supports 0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0")
    }

    @Test("CHECK needs 0.4.0, STATUS and GC need 1.1.0 (code 1 in the config's version)", arguments: [
        ("CHECK", "0.3.1"), ("STATUS", "1.0.0"), ("GC", "0.4.0"),
    ])
    func commandNotInVersion(command: String, version: String) async throws {
        let error = try await failure(Self.with(command), #"{"cniVersion":"\#(version)","name":"n"}"#)
        #expect(error.code == .incompatibleVersion)
        #expect(error.cniVersion.description == version)
        #expect(error.message == "config version \(version) does not allow \(command) (needs \(command == "CHECK" ? "0.4.0" : "1.1.0") or later)")
    }

    @Test("ADD prints the handler's result converted to the config's version")
    func addConverts() async throws {
        let answer = await outcome(Self.add, #"{"cniVersion":"0.3.1","name":"n"}"#)
        let result = try object(answer.standardOutput)
        #expect(result["cniVersion"] as? String == "0.3.1")
        let ips = try #require(result["ips"] as? [[String: Any]])
        #expect(ips.first?["version"] as? String == "4")
        #expect(answer.exitStatus == 0)
    }

    @Test("DEL succeeds whatever goes wrong: bad stdin, missing variables, a failing handler")
    func deleteNeverFails() async {
        for (environment, input) in [(Self.with("DEL"), "garbage"), (["CNI_COMMAND": "DEL"], "{}"),
                                     (Self.with("DEL"), #"{"cniVersion":"1.0.0","name":"n"}"#)] {
            #expect(await outcome(environment, input) == .reply(""))
        }
    }

    @Test("error objects: code, msg, details (omitted when empty), cniVersion of the config")
    func errorObject() throws {
        #expect(CNIError(code: .invalidEnvironment, message: "m").json == #"{"cniVersion":"1.1.0","code":4,"msg":"m"}"#)
        let error = CNIError(code: .tryAgainLater, message: "m", details: "d", cniVersion: .v0_4_0)
        #expect(error.json == #"{"cniVersion":"0.4.0","code":11,"details":"d","msg":"m"}"#)
        #expect(CNIInvocation.Outcome.failure(error).standardOutput == error.json + "\n")
        #expect(CNIInvocation.Outcome.failure(error).exitStatus == 1)
    }

    @Test("versions parse strictly and order numerically")
    func versions() {
        #expect(CNIVersion("0.10.0")! > CNIVersion("0.4.0")!)
        #expect(CNIVersion("1.0") == nil && CNIVersion("1.0.0.0") == nil && CNIVersion("a.b.c") == nil && CNIVersion("1..0") == nil)
        #expect(CNIVersion.supported.map(\.description) == ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"])
    }
}

