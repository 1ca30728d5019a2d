import Kube
import Testing

@Suite struct DiscoveryTests {
    @Test func versionAndCoreGroup() async throws {
        try await Harness.with { h in
            let version = try await h.get("/version")
            #expect(version.status == 200)
            #expect(version["major"] == "1")
            #expect(version["minor"] == "32")
            let api = try await h.get("/api")
            #expect(api["versions"] == ["v1"])
            let core = try await h.get("/api/v1")
            let names = core.json["resources"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
            for name in ["namespaces", "pods", "pods/status", "nodes", "secrets", "configmaps", "events", "serviceaccounts"] {
                #expect(names.contains(name), "missing \(name)")
            }
            let pods = core.json["resources"]?.arrayValue?.first { $0["name"] == "pods" }
            #expect(pods?["namespaced"] == true)
            #expect(pods?["kind"] == "Pod")
        }
    }

    @Test func groupsIncludeLeasesRBACAndCRDs() async throws {
        try await Harness.with { h in
            let groups = try await h.get("/apis")
            let names = groups.json["groups"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
            #expect(names.contains("coordination.k8s.io"))
            #expect(names.contains("rbac.authorization.k8s.io"))
            #expect(names.contains("apiextensions.k8s.io"))
            #expect(!names.contains("example.com"))
            let leases = try await h.get("/apis/coordination.k8s.io/v1")
            #expect(leases.json["resources"]?.arrayValue?.contains { $0["name"] == "leases" } == true)
            #expect(try await h.get("/apis/example.com/v1").status == 404)
        }
    }

    @Test func crdMakesItsResourceDiscoverableAndServed() async throws {
        try await Harness.with { h in
            #expect(try await h.get(CRDFixtures.widgetsPath).status == 404)
            #expect(try await h.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", CRDFixtures.widget).status == 201)
            let group = try await h.get("/apis/example.com")
            #expect(group["preferredVersion.groupVersion"] == "example.com/v1")
            let resources = try await h.get("/apis/example.com/v1")
            let names = resources.json["resources"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
            #expect(names == ["widgets", "widgets/status"])
            #expect(resources.json["resources"]?.arrayValue?.first?["shortNames"] == ["wd"])
            #expect(try await h.get(CRDFixtures.widgetsPath).status == 200)
            let crd = try await h.get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com")
            let conditions = crd["status.conditions"]?.arrayValue ?? []
            #expect(conditions.contains { $0["type"] == "Established" && $0["status"] == "True" })
        }
    }

    @Test func unknownPathsAnswer404WithStatus() async throws {
        try await Harness.with { h in
            for path in ["/nope", "/api/v2", "/api/v1/widgets", "/openapi/v2"] {
                let answer = try await h.get(path)
                #expect(answer.status == 404, "\(path)")
                #expect(answer["kind"] == "Status", "\(path)")
            }
        }
    }
}
