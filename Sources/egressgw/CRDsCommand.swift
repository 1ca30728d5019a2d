import ArgumentParser
import EgressGatewayAPI

/// `egressgw crds`: the CustomResourceDefinitions generated from the Swift model, ready for
/// `kubectl apply -f -`; `deploy/crds/` holds the same text.
struct CRDsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crds",
        abstract: "Print the five egressgateway.kubernetes.azure.com CustomResourceDefinitions as YAML."
    )

    func run() throws {
        print(try CustomResourceDefinitions.yaml(), terminator: "")
    }
}
