import Foundation
import Netlink
import Testing
@testable import CNIPlugin

/// The plugin's decisions that need no kernel: pass-through, refusals and their codes, DEL that
/// never fails, STATUS and GC. The fake manager records whether it was asked anything.
@Suite("plugin edge cases (upstream-cni §5.1–4 and the refusals)")
struct EdgeCaseTests {
    static var previous: [String: Any] { [
        "cniVersion": "1.0.0",
        "interfaces": [["name": "eth0", "sandbox": "/var/run/netns/p"]],
        "ips": [["address": "10.4.0.5/24", "gateway": "10.4.0.1", "interface": 0]],
        "routes": [["dst": "0.0.0.0/0"]],
        "dns": [String: Any](),
    ] }
    static let annotated = [EgressPlugin.gatewayAnnotation: "test-sgw"]

    func config(_ version: String = "1.0.0", previous: [String: Any]? = EdgeCaseTests.previous,
                annotations: [String: String]? = nil, extra: [String: Any] = [:]) throws -> [UInt8] {
        var config: [String: Any] = ["cniVersion": version, "name": "azure", "type": "egressgw-cni",
                                     "ipam": ["type": "egressgw-cni-ipam"]]
        if let previous { config["prevResult"] = previous.merging(["cniVersion": version]) { _, new in new } }
        if let annotations { config["runtimeConfig"] = [NetworkConfig.podAnnotationsCapability: annotations] }
        config.merge(extra) { _, new in new }
        return try json(config)
    }

    func environment(_ command: String, containerID: String = "1234567890abcdef", netns: String = "/var/run/netns/egw-cni-none",
                     args: String = "IgnoreUnknown=true;K8S_POD_NAMESPACE=testns;K8S_POD_NAME=testpod") -> [String: String] {
        ["CNI_COMMAND": command, "CNI_CONTAINERID": containerID, "CNI_NETNS": netns, "CNI_IFNAME": "eth0",
         "CNI_PATH": "/nonexistent", "CNI_ARGS": args]
    }

    func run(_ manager: FakeManager, _ environment: [String: String], _ input: [UInt8],
             hostNamespace: NetworkNamespace = .process) async -> CNIInvocation.Outcome {
        let plugin = EgressPlugin(options: .init(hostNamespace: hostNamespace), logger: quietLogger) { _ in manager }
        return await CNIInvocation(plugin: "egressgw-cni", version: "test", handler: plugin, logger: quietLogger)
            .outcome(environment: environment) { input }
    }

    func error(_ outcome: CNIInvocation.Outcome) throws -> CNIError {
        guard case .failure(let error) = outcome else {
            Issue.record("expected a CNI error, got \(outcome)")
            throw CancellationError()
        }
        return error
    }

    // MARK: Pass-through

    @Test("unannotated pod, annotations from the manager: one lookup of testns/testpod, prevResult printed (§5.1)")
    func unannotatedViaManager() async throws {
        let manager = FakeManager(annotations: ["other": "x"])
        let outcome = await run(manager, environment("ADD"), try config())
        #expect(manager.calls == [.annotations(PodReference(namespace: "testns", name: "testpod"))])
        let result = try object(outcome.standardOutput)
        #expect((result["interfaces"] as? [[String: Any]])?.count == 1)
        #expect((result["ips"] as? [[String: Any]])?.first?["address"] as? String == "10.4.0.5/24")
        #expect((result["routes"] as? [[String: Any]])?.count == 1)
    }

    @Test("unannotated pod, annotations from the runtime: no manager at all, prevResult unchanged in every version",
          arguments: ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"])
    func unannotatedViaRuntime(version: String) async throws {
        let manager = FakeManager()
        manager.update { $0.annotationsFailure = .unreachable("must not be called") }
        let outcome = await run(manager, environment("ADD"), try config(version, annotations: [:]))
        #expect(manager.calls.isEmpty)
        let printed = try JSONDecoder().decode(CNIResult.self, from: Data(outcome.standardOutput.utf8))
        var expected = try JSONDecoder().decode(CNIResult.self, from: Data(try json(Self.previous)))
        expected.cniVersion = CNIVersion(version)!
        #expect(printed == expected)
        #expect(try object(outcome.standardOutput)["cniVersion"] as? String == version)
    }

    @Test("a container that is not a pod (no K8S_POD_* in CNI_ARGS) passes through without the manager")
    func notAPod() async throws {
        let manager = FakeManager(annotations: Self.annotated)
        let outcome = await run(manager, environment("ADD", args: "IgnoreUnknown=1"), try config())
        #expect(outcome.exitStatus == 0)
        #expect(manager.calls.isEmpty)
    }

    // MARK: Refusals

    @Test("missing prevResult is code 7, never a crash (for ADD and CHECK)")
    func missingPrevResult() async throws {
        for command in ["ADD", "CHECK"] {
            let refusal = try error(await run(FakeManager(), environment(command), try config(previous: nil)))
            #expect(refusal.code == .invalidConfig)
            #expect(refusal.message.contains("prevResult"))
        }
    }

    @Test("manager unreachable for the annotations: code 11 naming the pod")
    func annotationsUnreachable() async throws {
        let manager = FakeManager()
        manager.update { $0.annotationsFailure = .unreachable("connect /var/run/egressgw/cni.sock: no such file") }
        let refusal = try error(await run(manager, environment("ADD"), try config()))
        #expect(refusal.code == .tryAgainLater)
        #expect(refusal.message == "failed to get the annotations of pod testns/testpod: cni-manager unreachable: connect /var/run/egressgw/cni.sock: no such file")
    }

    @Test("annotated pods refused before any change", arguments: [
        ("empty annotation", [EgressPlugin.gatewayAnnotation: ""], "IgnoreUnknown=1;K8S_POD_NAMESPACE=testns;K8S_POD_NAME=testpod",
         "1234567890", "{}", UInt(7), "pod testns/testpod: annotation kubernetes.azure.com/static-gateway-configuration is empty"),
        ("no pod in CNI_ARGS", annotated, "", "1234567890", "{}", UInt(4), "the pod's annotations name gateway \"test-sgw\" but CNI_ARGS lacks"),
        ("bad CNI_ARGS", annotated, "K8S_POD_UID=u", "1234567890", "{}", UInt(4), "CNI_ARGS: unknown key \"K8S_POD_UID\""),
        ("no ipam.type", annotated, "IgnoreUnknown=1;K8S_POD_NAMESPACE=testns;K8S_POD_NAME=testpod", "1234567890",
         #"{"ipam":{}}"#, UInt(7), "invalid network config: ipam.type should not be empty"),
        ("bad excludedCIDRs", annotated, "IgnoreUnknown=1;K8S_POD_NAMESPACE=testns;K8S_POD_NAME=testpod", "1234567890",
         #"{"excludedCIDRs":["1000.2.3.4/32"]}"#, UInt(7), "invalid network config: excludedCIDRs \"1000.2.3.4/32\""),
        ("short container ID", annotated, "IgnoreUnknown=1;K8S_POD_NAMESPACE=testns;K8S_POD_NAME=testpod", "abc",
         "{}", UInt(4), "CNI_CONTAINERID \"abc\" must start with 8 letters, digits"),
        ("missing netns", annotated, "IgnoreUnknown=1;K8S_POD_NAMESPACE=testns;K8S_POD_NAME=testpod", "1234567890",
         "{}", UInt(3), "network namespace /var/run/netns/egw-cni-none does not exist"),
    ] as [(String, [String: String], String, String, String, UInt, String)])
    func refused(_ name: String, annotations: [String: String], args: String, containerID: String, extra: String,
                 code: UInt, message: String) async throws {
        let manager = FakeManager()
        let refusal = try error(await run(manager, environment("ADD", containerID: containerID, args: args),
                                          try config(annotations: annotations, extra: try object(extra))))
        #expect(refusal.code.rawValue == code, "\(name): \(refusal)")
        #expect(refusal.message.hasPrefix(message), "\(name): \(refusal.message)")
        #expect(manager.calls.isEmpty, "\(name): refused before the manager is asked")
    }

    @Test("CNI_NETNS naming the runtime's own namespace is code 8")
    func ownNamespace() async throws {
        let refusal = try error(await run(FakeManager(), environment("ADD", netns: "/proc/self/ns/net"), try config(annotations: Self.annotated)))
        #expect(refusal.code == .invalidNamespace)
    }

    // MARK: DEL, CHECK, STATUS, GC

    @Test("DEL sends nicDel with the pod and the sandbox and succeeds, even without the namespace (§5.3)")
    func deleteRegistration() async throws {
        let manager = FakeManager()
        #expect(await run(manager, environment("DEL"), try config()) == .reply(""))
        #expect(manager.calls == [.nicDel(NicDelRequest(pod: PodReference(namespace: "testns", name: "testpod"), containerID: "1234567890abcdef"))])
    }

    @Test("DEL of a pod the runtime shows unannotated does not contact the manager")
    func deleteUnannotated() async throws {
        let manager = FakeManager()
        #expect(await run(manager, environment("DEL"), try config(annotations: ["x": "y"])) == .reply(""))
        #expect(manager.calls.isEmpty)
    }

    @Test("DEL succeeds when the manager fails, the IPAM is missing, or the container ID is short")
    func deleteNeverFails() async throws {
        let manager = FakeManager()
        manager.update { $0.nicDelFailure = .unreachable("down") }
        #expect(await run(manager, environment("DEL", containerID: "ab"), try config(extra: ["ipam": ["type": "no-such-ipam"]])) == .reply(""))
        #expect(manager.calls.count == 1)
    }

    @Test("CHECK of an unannotated pod has nothing to verify (§5.4)")
    func checkUnannotated() async throws {
        #expect(await run(FakeManager(), environment("CHECK"), try config(annotations: [:])) == .reply(""))
    }

    @Test("STATUS asks the manager: code 50 when it does not answer; GC sends the valid sandboxes")
    func statusAndGC() async throws {
        let manager = FakeManager()
        #expect(await run(manager, environment("STATUS"), try config("1.1.0", previous: nil)) == .reply(""))
        manager.update { $0.statusFailure = .unreachable("down") }
        let status = try error(await run(manager, environment("STATUS"), try config("1.1.0", previous: nil)))
        #expect(status.code == .pluginNotAvailable)
        #expect(status.message.contains("down"))
        let attachments: [[String: Any]] = [["containerID": "1234567890abcdef", "ifname": "eth0"]]
        // No host namespace to scan for leftover links: this test must not touch the machine's.
        #expect(await run(manager, environment("GC"),
                          try config("1.1.0", previous: nil, extra: ["cni.dev/valid-attachments": attachments]),
                          hostNamespace: NetworkNamespace(path: "/nonexistent/egw-gc-none")) == .reply(""))
        #expect(manager.calls == [.status, .status, .garbageCollect(["1234567890abcdef"])])
    }

    @Test("manager errors map to CNI codes: unreachable and not ready 11, rejected 7")
    func managerCodes() {
        #expect(EgressManagerError.unreachable("x").code == .tryAgainLater)
        #expect(EgressManagerError.notReady("x").code == .tryAgainLater)
        #expect(EgressManagerError.rejected("x").code == .invalidConfig)
        #expect(EgressManagerError.rejected("StaticGatewayConfiguration testns/sgw not found").description
                == "cni-manager refused: StaticGatewayConfiguration testns/sgw not found")
    }
}
