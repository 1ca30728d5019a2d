import Kube
import Testing

@Suite struct CustomResourceTests {
    private let crds = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"

    @Test func defaultsArePrunedAndAppliedFromTheSchema() async throws {
        try await Harness.with { h in
            #expect(try await h.post(crds, CRDFixtures.widget).status == 201)
            let created = try await h.post(CRDFixtures.widgetsPath, CRDFixtures.widget("w", extra: [
                "unknown": "dropped", "extra": ["kept": ["deep": 1]],
            ]))
            #expect(created.status == 201)
            #expect(created["spec.color"] == "red")
            #expect(created["spec.options.retries"] == 3)
            #expect(created["spec.unknown"] == nil)
            #expect(created["spec.extra.kept.deep"] == 1)
            var top = CRDFixtures.widget("v")
            top.set("surprise", true)
            let pruned = try await h.post(CRDFixtures.widgetsPath, top)
            #expect(pruned["surprise"] == nil)
        }
    }

    @Test func validationNamesEachInvalidField() async throws {
        try await Harness.with { h in
            #expect(try await h.post(crds, CRDFixtures.widget).status == 201)
            let cases: [(JSONValue, String, String)] = [
                (["size": 11], "spec.size", "Invalid value: 11: spec.size in body should be less than or equal to 10"),
                (["size": 0], "spec.size", "Invalid value: 0: spec.size in body should be greater than or equal to 1"),
                (["size": "big"], "spec.size", "Invalid value: \"string\": spec.size in body must be of type integer: \"string\""),
                (["size": 2, "color": "pink"], "spec.color", "Unsupported value: \"pink\": supported values: \"red\", \"green\", \"blue\""),
                (["size": 2, "code": "AB1"], "spec.code", "Invalid value: \"AB1\": spec.code in body should match '^[a-z]{3}$'"),
                (["size": 2, "tags": ["a", "b", "c"]], "spec.tags", "Invalid value: [\"a\",\"b\",\"c\"]: spec.tags in body should have at most 2 items"),
                (["color": "red"], "spec.size", "Required value"),
            ]
            for (spec, field, message) in cases {
                let answer = try await h.post(CRDFixtures.widgetsPath, [
                    "apiVersion": "example.com/v1", "kind": "Widget", "metadata": ["name": "bad"], "spec": spec,
                ])
                #expect(answer.status == 422, "\(spec)")
                #expect(answer["reason"] == "Invalid")
                #expect(answer["details.kind"] == "Widget")
                #expect(answer["details.group"] == "example.com")
                let cause = answer["details.causes[0]"]
                #expect(cause?["field"] == .string(field), "\(spec)")
                #expect(cause?["message"] == .string(message), "\(spec)")
                #expect(answer["message"]?.string?.hasPrefix("Widget.example.com \"bad\" is invalid: \(field)") == true)
            }
        }
    }

    @Test func clusterScopedResourceKeepsUnknownFields() async throws {
        try await Harness.with { h in
            #expect(try await h.post(crds, CRDFixtures.gadget).status == 201)
            let created = try await h.post("/apis/example.com/v1/gadgets", [
                "apiVersion": "example.com/v1", "kind": "Gadget", "metadata": ["name": "g", "namespace": "x"],
                "anything": ["goes": true],
            ])
            #expect(created.status == 201)
            #expect(created["anything.goes"] == true)
            #expect(created["metadata.namespace"] == nil)
            #expect(try await h.get("/apis/example.com/v1/namespaces/default/gadgets").status == 404)
            #expect(try await h.get("/apis/example.com/v1/gadgets/g").status == 200)
        }
    }

    @Test func invalidDefinitionsAreRejected() async throws {
        try await Harness.with { h in
            var wrongName = CRDFixtures.widget
            wrongName.set("metadata.name", "widget.example.com")
            let answer = try await h.post(crds, wrongName)
            #expect(answer.status == 422)
            #expect(answer["details.causes[0].field"] == "metadata.name")
            var noScope = CRDFixtures.widget
            noScope.set("spec.scope", "Galaxy")
            #expect(try await h.post(crds, noScope)["details.causes[0].field"] == "spec.scope")
            var builtIn = CRDFixtures.widget
            builtIn.set("metadata.name", "leases.coordination.k8s.io")
            builtIn.set("spec.group", "coordination.k8s.io")
            builtIn.set("spec.names.plural", "leases")
            let shadowing = try await h.post(crds, builtIn)
            #expect(shadowing.status == 422)
            #expect(shadowing["details.causes[0].field"] == "spec.group")
        }
    }

    @Test func strategicMergePatchIsNotOfferedForCustomResources() async throws {
        try await Harness.with { h in
            #expect(try await h.post(crds, CRDFixtures.widget).status == 201)
            #expect(try await h.post(CRDFixtures.widgetsPath, CRDFixtures.widget("w")).status == 201)
            let answer = try await h.request(.patch, CRDFixtures.widgetsPath + "/w", ["spec": ["size": 4]],
                                             contentType: "application/strategic-merge-patch+json")
            #expect(answer.status == 415)
            let merged = try await h.mergePatch(CRDFixtures.widgetsPath + "/w", ["spec": ["size": 4, "color": nil]])
            #expect(merged["spec.size"] == 4)
            #expect(merged["spec.color"] == "red")
            let invalid = try await h.mergePatch(CRDFixtures.widgetsPath + "/w", ["spec": ["size": 40]])
            #expect(invalid.status == 422)
        }
    }
}
