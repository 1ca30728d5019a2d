import EgressGatewayAPI
import Foundation
import Kube
import Testing
import Yams

/// docs/samples: the SGCs decode and pass validation, and the annotated pod names one of them in its namespace.
@Suite struct SampleTests {
    static let directory = repositoryRoot.appendingPathComponent("docs/samples")

    func sample(_ name: String) throws -> JSONValue {
        let text = try String(contentsOf: Self.directory.appendingPathComponent(name), encoding: .utf8)
        return JSONValue(yaml: try #require(try Yams.compose(yaml: text)))
    }

    @Test(arguments: ["sgc-public.yaml", "sgc-private.yaml"])
    func gatewayConfigurationsAreValid(_ name: String) throws {
        let configuration = try sample(name).decode(as: StaticGatewayConfiguration.self)
        try configuration.validate()
        #expect(configuration.unknownFields.isEmpty && configuration.spec.unknownFields.isEmpty, "\(name) has unknown fields")
    }

    @Test func modesAreAsNamed() throws {
        #expect(try sample("sgc-public.yaml").decode(as: StaticGatewayConfiguration.self).spec.provisionPublicIps)
        #expect(try !sample("sgc-private.yaml").decode(as: StaticGatewayConfiguration.self).spec.provisionPublicIps)
    }

    @Test func theAnnotatedPodUsesASample() throws {
        let pod = try sample("pod-annotated.yaml").decode(as: Pod.self)
        let gateways = try ["sgc-public.yaml", "sgc-private.yaml"].map { try sample($0).decode(as: StaticGatewayConfiguration.self) }
        let name = try #require(pod.metadata.annotations["kubernetes.azure.com/static-gateway-configuration"])
        #expect(gateways.contains { $0.metadata.name == name && $0.metadata.namespace == pod.metadata.namespace })
        #expect(try sample("pod-plain.yaml").decode(as: Pod.self).metadata.annotations.isEmpty)
    }
}
