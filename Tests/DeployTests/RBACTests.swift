import EgressGatewayAPI
import Foundation
import Kube
import Testing

/// One permission: a verb on a resource (optionally one named object), cluster-wide or in the role's namespace.
struct Grant: Hashable, CustomStringConvertible, Comparable {
    var role: String
    var scope: String
    var group: String
    var resource: String
    var resourceName: String
    var verb: String

    var description: String {
        "\(role) \(scope) \(group.isEmpty ? "core" : group)/\(resource)\(resourceName.isEmpty ? "" : "(\(resourceName))") \(verb)"
    }

    static func < (lhs: Grant, rhs: Grant) -> Bool { lhs.description < rhs.description }
}

/// A row of deploy/README.md's RBAC table.
struct JustifiedRule {
    var grants: [Grant]
    var models: [String]
    /// The first `code span` of the call column: a source file (`Module/File.swift`) or a module.
    var citation: String

    static func table() throws -> [JustifiedRule] {
        let readme = try String(contentsOf: repositoryRoot.appendingPathComponent("deploy/README.md"), encoding: .utf8)
        let rows = readme.split(separator: "\n").filter { $0.hasPrefix("| ") }.map { line in
            line.split(separator: "|", omittingEmptySubsequences: false).dropFirst().dropLast()
                .map { $0.trimmingCharacters(in: .whitespaces) }
        }
        return try rows.filter { $0.count == 7 && Binary.roles.contains($0[0]) }.map { cells in
            func list(_ text: String) -> [String] { text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
            let group = cells[2] == "\"\"" ? "" : cells[2]
            var grants: [Grant] = []
            for resourceText in list(cells[3]) {
                var resource = resourceText
                var name = ""
                if let open = resourceText.firstIndex(of: "(") {
                    resource = resourceText[..<open].trimmingCharacters(in: .whitespaces)
                    name = String(resourceText[resourceText.index(after: open)...].dropLast())
                }
                for verb in list(cells[4]) {
                    grants.append(Grant(role: cells[0], scope: cells[1], group: group, resource: resource, resourceName: name, verb: verb))
                }
            }
            let citation = try #require(cells[6].firstMatch(of: /`([^`]+)`/)?.output.1, "no citation in \(cells)")
            return JustifiedRule(grants: grants, models: list(cells[5]), citation: String(citation))
        }
    }

    /// Where the citation points in the tree.
    var path: URL { repositoryRoot.appendingPathComponent("Sources").appendingPathComponent(citation) }

    /// The Swift text of the cited file, or of every file of the cited module.
    func sourceText() throws -> String {
        guard !citation.hasSuffix(".swift") else { return try String(contentsOf: path, encoding: .utf8) }
        let files = FileManager.default.enumerator(atPath: path.path)?.compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") } ?? []
        return try files.map { try String(contentsOf: path.appendingPathComponent($0), encoding: .utf8) }.joined(separator: "\n")
    }
}

/// The resources the code has models for, by type name.
let modelResources: [String: ResourceDescriptor] = [
    "StaticGatewayConfiguration": StaticGatewayConfiguration.resource,
    "GatewayLBConfiguration": GatewayLBConfiguration.resource,
    "GatewayVMConfiguration": GatewayVMConfiguration.resource,
    "GatewayStatus": GatewayStatus.resource,
    "PodEndpoint": PodEndpoint.resource,
    "Pod": Pod.resource, "Node": Node.resource, "Secret": Secret.resource, "ConfigMap": ConfigMap.resource,
    "Event": Event.resource, "Lease": Lease.resource,
]

/// Every RBAC rule is in deploy/README.md's table with the call that needs it, names a resource the code has a model
/// for, and the cited code uses that model; nothing in the table is missing from the manifests.
@Suite(.enabled(if: Kubectl.path != nil, "kubectl is not installed"))
struct RBACTests {
    /// The grants of the rendered Roles and ClusterRoles `egressgw-<role>`.
    static func renderedGrants(_ kustomization: String) async throws -> Set<Grant> {
        var grants: Set<Grant> = []
        for role in try await Kubectl.render(kustomization) where role.kind == "Role" || role.kind == "ClusterRole" {
            let name = String(role.name.dropFirst("egressgw-".count))
            #expect(role.name.hasPrefix("egressgw-") && Binary.roles.contains(name), "\(role) belongs to no role")
            for rule in role["rules"]?.arrayValue ?? [] {
                let names = rule["resourceNames"]?.strings ?? []
                for group in rule["apiGroups"]?.strings ?? [] {
                    for resource in rule["resources"]?.strings ?? [] {
                        for verb in rule["verbs"]?.strings ?? [] {
                            for resourceName in names.isEmpty ? [""] : names {
                                grants.insert(Grant(role: name, scope: role.kind == "Role" ? "namespace" : "cluster",
                                                    group: group, resource: resource, resourceName: resourceName, verb: verb))
                            }
                        }
                    }
                }
            }
        }
        return grants
    }

    @Test(arguments: kustomizations)
    func theTableIsTheRenderedRBAC(_ kustomization: String) async throws {
        let rendered = try await Self.renderedGrants(kustomization)
        let table = Set(try JustifiedRule.table().flatMap(\.grants))
        #expect(rendered.subtracting(table).sorted() == [], "rendered but not justified in deploy/README.md")
        #expect(table.subtracting(rendered).sorted() == [], "in deploy/README.md but not rendered")
    }

    @Test func noWildcards() async throws {
        for grant in try await Self.renderedGrants("deploy/default") {
            #expect(![grant.group, grant.resource, grant.verb].contains("*"), "\(grant)")
        }
    }

    /// Each row's resources are those of its model types (a subresource counts as its resource).
    @Test func everyRuleNamesAModelledResource() throws {
        for rule in try JustifiedRule.table() {
            let served = try rule.models.map { model in try #require(modelResources[model], "no model type \(model)") }
            for grant in rule.grants {
                let resource = grant.resource.split(separator: "/").first.map(String.init) ?? grant.resource
                #expect(served.contains { $0.group == grant.group && $0.plural == resource },
                        "\(grant) is not the resource of \(rule.models)")
            }
        }
    }

    @Test func operatorCitations() throws { try checkCitations(of: "operator") }

    @Test func gatewayCitations() throws { try checkCitations(of: "gateway") }

    @Test func cniManagerCitations() throws { try checkCitations(of: "cni-manager") }

    /// The cited code mentions every model type of its row.
    private func checkCitations(of role: String) throws {
        for rule in try JustifiedRule.table() where rule.grants.first?.role == role {
            let text = try rule.sourceText()
            #expect(!text.isEmpty, "\(rule.citation) holds no Swift code")
            for model in rule.models {
                #expect(text.contains(model), "\(rule.citation) does not use \(model) (\(rule.grants[0]))")
            }
        }
    }
}
