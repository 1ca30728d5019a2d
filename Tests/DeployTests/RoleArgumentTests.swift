import Foundation
import TestSupport
import Testing

/// The `egressgw` binary built next to this test bundle, and the flags each role accepts.
enum Binary {
    static let path: String = {
        let bundle = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: bundle).deletingLastPathComponent().appendingPathComponent("egressgw").path
    }()

    /// The roles the manifests run, each in one workload.
    static let roles = ["operator", "gateway", "cni-manager"]

    /// `egressgw ROLE --help`.
    static func help(_ role: String) async throws -> String {
        let result = try await ChildProcess.run(path, [role, "--help"])
        guard result.status == 0 else {
            throw CommandFailed(command: [path, role, "--help"], status: result.status, stderr: result.standardError)
        }
        return result.standardOutput
    }

    /// Every `--name` the help of `role` mentions (a `--x/--no-x` pair gives both).
    static func flags(_ role: String) async throws -> Set<String> {
        Set(try await help(role).matches(of: /--([a-z0-9][a-z0-9-]*)/).map { String($0.output.1) })
    }
}

/// Container arguments are flags the binary accepts: each role's manifests are checked against `egressgw ROLE
/// --help`.
@Suite struct RoleArgumentTests {
    @Test func binaryIsBuilt() {
        #expect(FileManager.default.isExecutableFile(atPath: Binary.path), "no executable at \(Binary.path)")
    }

    @Test func operatorArguments() async throws { try await checkArguments(of: "operator") }

    @Test func gatewayArguments() async throws { try await checkArguments(of: "gateway") }

    @Test func cniManagerArguments() async throws { try await checkArguments(of: "cni-manager") }

    /// Every container that runs egressgw runs one of the three roles, and each role runs in exactly one workload.
    @Test(.enabled(if: Kubectl.path != nil, "kubectl is not installed"), arguments: kustomizations)
    func everyContainerRunsARole(_ kustomization: String) async throws {
        let manifests = try await Kubectl.render(kustomization)
        var workloadsByRole: [String: [String]] = [:]
        for workload in manifests where workload.podSpec != nil {
            for container in workload.containers {
                #expect(container["command"]?.strings == ["/usr/local/bin/egressgw"], "\(workload) container command")
                let role = ContainerArguments(container).role
                #expect(Binary.roles.contains(role), "\(workload) runs unknown role \(role)")
                workloadsByRole[role, default: []].append(workload.description)
            }
        }
        #expect(Set(workloadsByRole.keys) == Set(Binary.roles))
        #expect(workloadsByRole.values.allSatisfy { $0.count == 1 }, "\(workloadsByRole)")
    }

    private func checkArguments(of role: String) async throws {
        let accepted = try await Binary.flags(role)
        #expect(!accepted.isEmpty)
        for kustomization in kustomizations {
            let manifests = try await Kubectl.render(kustomization)
            let containers = manifests.flatMap { workload in workload.containers.map { (workload, $0) } }
                .filter { ContainerArguments($0.1).role == role }
            #expect(containers.count == 1, "\(kustomization): \(containers.count) containers run \(role)")
            for (workload, container) in containers {
                for flag in ContainerArguments(container).flags.keys.sorted() {
                    #expect(accepted.contains(flag),
                            "\(kustomization) \(workload): egressgw \(role) does not accept --\(flag) (accepts \(accepted.sorted()))")
                }
            }
        }
    }
}
