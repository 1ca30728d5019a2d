import Foundation
import Netlink
import Testing
@testable import CNIPlugin

/// The built `egressgw` binary as a runtime runs it: through symlinks named after the plugins.
@Suite("egressgw binary as the CNI plugins")
struct BinaryTests {
    static let versionReply = #"{"cniVersion":"1.1.0","supportedVersions":["0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"]}"# + "\n"

    @Test("VERSION through the plugin symlinks in a CNI_PATH directory, with the runtime's stdin")
    func version() throws {
        let directory = try TemporaryDirectory()
        for name in ["egressgw-cni", "egressgw-cni-ipam"] {
            let link = "\(directory.path)/\(name)"
            try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: Binary.path)
            let output = try NetworkNamespace.process.execute(link, [], input: Array(#"{"cniVersion":"1.0.0"}"#.utf8),
                                                              environment: ["CNI_COMMAND": "VERSION", "CNI_PATH": directory.path])
            #expect(output.exitCode == 0, "\(name): \(output.stderr)")
            #expect(output.stdout == Self.versionReply, "\(name)")
        }
    }

    @Test("STATUS without a cni-manager: code 50 naming the socket", .enabled(if: FileManager.default.isExecutableFile(atPath: Binary.path)))
    func statusWithoutManager() throws {
        let config = Array(#"{"cniVersion":"1.1.0","name":"n","type":"egressgw-cni","managerSocket":"/nonexistent/egw/cni.sock"}"#.utf8)
        let status = try NetworkNamespace.process.execute(Binary.path, ["cni"], input: config, environment: ["CNI_COMMAND": "STATUS"])
        #expect(status.exitCode == 1)
        let error = try object(status.stdout)
        #expect(error["code"] as? Int == 50)
        #expect((error["msg"] as? String)?.contains("/nonexistent/egw/cni.sock") == true, "\(status.stdout)")
    }
}

@Suite(.enabled(if: Host.canRunChain, "needs root, wireguard-go and /usr/lib/cni/{bridge,host-local}"))
struct BinaryChainTests {
    @Test("a pod the runtime shows unannotated passes through the real binary untouched, without a cni-manager",
          arguments: ["1.0.0", "0.3.1"])
    func passThrough(version: String) async throws {
        let fixture = try ChainFixture("binpass", version: version, annotations: ["some": "annotation"], binary: true)
        defer { fixture.remove() }
        let answers = try await fixture.runtime.add()
        try #require(answers.count == 2 && answers.allSatisfy { $0.succeeded }, "\(answers.map(\.stdout)) \(answers.map(\.stderr))")
        let main = try object(answers[0].stdout), ours = try object(answers[1].stdout)
        #expect(NSDictionary(dictionary: ours).isEqual(to: main), "prevResult printed unchanged:\n\(answers[1].stdout)\nvs\n\(answers[0].stdout)")
        #expect(!(try fixture.pod.linkNames().contains("wg0")))
        #expect(try fixture.pod.mangle().allSatisfy { !$0.hasPrefix("-A") })
        let deletions = try await fixture.runtime.delete(cached: answers[1].stdout)
        #expect(deletions.allSatisfy { $0.succeeded }, "\(deletions.map(\.stderr))")
    }

    @Test("an annotated pod fails with 'cni-manager unreachable' (code 11) and leaves nothing behind")
    func annotatedWithoutManager() async throws {
        let fixture = try ChainFixture("binann", binary: true)
        defer { fixture.remove() }
        let answers = try await fixture.runtime.add()
        let error = try #require(answers.last?.error, "\(answers.map(\.stdout))")
        #expect(answers.last?.type == "egressgw-cni")
        #expect(error["code"] as? Int == 11)
        let message = try #require(error["msg"] as? String)
        #expect(message.contains("cni-manager unreachable"), "\(message)")
        #expect(message.contains("testns/testpod") && message.contains("sgw1"))
        try fixture.expectNoTraces()
        let log = answers.last?.stderr ?? ""
        #expect(log.contains("ADD failed"), "the failure is logged on stderr")
    }

    @Test("without runtime annotations the binary needs the cni-manager to tell: code 11 naming the pod")
    func noRuntimeAnnotations() async throws {
        let fixture = try ChainFixture("binnoann", annotations: nil, binary: true)
        defer { fixture.remove() }
        let error = try #require(try await fixture.runtime.add().last?.error)
        #expect(error["code"] as? Int == 11)
        #expect((error["msg"] as? String)?.hasPrefix("failed to get the annotations of pod testns/testpod: cni-manager unreachable") == true)
    }
}
