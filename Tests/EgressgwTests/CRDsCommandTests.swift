import EgressGatewayAPI
import Testing

@Suite("egressgw crds")
struct CRDsCommandTests {
    @Test("prints the generated CustomResourceDefinitions, byte for byte")
    func printsGeneratedCRDs() async throws {
        let result = try await run(Binary.path, ["crds"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stdout == (try CustomResourceDefinitions.yaml()))
        #expect(result.stdout.components(separatedBy: "kind: CustomResourceDefinition\n").count == 6)
    }
}
