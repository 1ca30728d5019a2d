import EgressGatewayAPI
import Foundation
import Kube
import TestSupport
import Testing

/// `deploy/crds/` must hold exactly what the generator writes. `EGRESSGW_UPDATE_CRDS=1` rewrites the files instead
/// of failing (then review and commit the diff). Serialized so that kustomize reads the directory after an update.
@Suite(.serialized) struct CRDGoldenTests {
    static let directory = repositoryRoot.appendingPathComponent("deploy/crds")
    static let updating = ProcessInfo.processInfo.environment["EGRESSGW_UPDATE_CRDS"] == "1"

    @Test func deployDirectoryMatchesTheGenerator() throws {
        let files = try CustomResourceDefinitions.files()
        if Self.updating {
            try FileManager.default.createDirectory(at: Self.directory, withIntermediateDirectories: true)
            for file in files {
                try Data(file.contents.utf8).write(to: Self.directory.appendingPathComponent(file.name))
            }
        }
        let present = Set(try FileManager.default.contentsOfDirectory(atPath: Self.directory.path))
        #expect(present == Set(files.map(\.name)), "deploy/crds has unexpected or missing files")
        for file in files {
            let onDisk = try? String(contentsOf: Self.directory.appendingPathComponent(file.name), encoding: .utf8)
            #expect(onDisk == file.contents,
                    "deploy/crds/\(file.name) differs from the generator; run EGRESSGW_UPDATE_CRDS=1 swift test --filter CRDGoldenTests")
        }
    }

    /// `egressgw crds` prints the five files of deploy/crds, concatenated in name order.
    @Test func yamlIsTheConcatenationOfTheFiles() throws {
        let crdFiles = try CustomResourceDefinitions.files().filter { $0.name != "kustomization.yaml" }
        #expect(crdFiles.map(\.name) == crdFiles.map(\.name).sorted())
        #expect(try CustomResourceDefinitions.yaml() == crdFiles.map(\.contents).joined())
        #expect(try CustomResourceDefinitions.yaml().components(separatedBy: "\n---\n").count == 5)
    }

    /// kubectl's own YAML reader and kustomize accept the directory (offline; `kubectl create --dry-run=client`
    /// needs an API server for discovery, so it cannot check the files here).
    @Test(.enabled(if: Kubectl.path != nil, "kubectl is not installed"))
    func kubectlKustomizeRendersTheFiveCRDs() async throws {
        let output = try await Kubectl.run(["kustomize", Self.directory.path])
        let kinds = output.split(separator: "\n").filter { $0 == "kind: CustomResourceDefinition" }
        #expect(kinds.count == 5)
        for crd in CustomResourceDefinitions.all {
            #expect(output.contains("  name: \(crd.metadata.name)\n"))
        }
    }
}

/// Runs the machine's kubectl.
enum Kubectl {
    static let path: String? = ["/usr/bin/kubectl", "/usr/local/bin/kubectl"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    static func run(_ arguments: [String]) async throws -> String {
        let result = try await ChildProcess.run(path ?? "kubectl", arguments)
        #expect(result.status == 0, "kubectl \(arguments.joined(separator: " ")) failed: \(result.standardError)")
        return result.standardOutput
    }
}
