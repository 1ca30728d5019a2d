import ArgumentParser
import Testing
@testable import egressgw

@Suite("egressgw operator flags")
struct OperatorCommandTests {
    /// The Helm chart passes `--leader-elect=true`, kustomize a bare `--leader-elect` (Go's flag package takes both).
    @Test("Go-style boolean leader election flags parse", arguments: [
        (["operator", "--leader-elect=true"], true),
        (["operator", "--leader-elect"], true),
        (["operator", "--leader-elect=false"], false),
        (["operator"], false),
    ])
    func leaderElect(arguments: [String], expected: Bool) throws {
        let parsed = try Egressgw.parseAsRoot(OperatorCommand.goStyleBooleans(arguments))
        let command = try #require(parsed as? OperatorCommand)
        #expect(command.leaderElect == expected)
    }

    @Test("the Go defaults: cloud config path and the three ports")
    func defaults() throws {
        let command = try #require(try Egressgw.parseAsRoot(["operator", "--secret-namespace", "ns"]) as? OperatorCommand)
        #expect(command.cloudConfig == "/etc/kubernetes/kube-egress-gateway/azure.json")
        #expect(command.metricsBindPort == 8080 && command.healthProbeBindPort == 8081)
        #expect(command.gatewayLbProbePort == 8082)
        #expect(command.secretNamespace == "ns")
    }
}
