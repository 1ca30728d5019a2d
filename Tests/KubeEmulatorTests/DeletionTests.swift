import Kube
import Testing

@Suite struct DeletionTests {
    private let path = "/api/v1/namespaces/default/configmaps"

    @Test func finalizersHoldAnObjectUntilTheLastIsRemoved() async throws {
        try await Harness.with { h in
            try await h.configMap("held", extraMetadata: ["finalizers": ["example.com/a", "example.com/b"]])
            let deleted = try await h.delete(path + "/held")
            #expect(deleted.status == 200)
            #expect(deleted["metadata.deletionTimestamp"] != nil)
            let marked = try await h.get(path + "/held")
            #expect(marked.status == 200)
            #expect(marked["metadata.deletionTimestamp"] == deleted["metadata.deletionTimestamp"])

            let added = try await h.mergePatch(path + "/held", ["metadata": ["finalizers": ["example.com/a", "example.com/b", "example.com/c"]]])
            #expect(added.status == 422)
            #expect(added["details.causes[0].field"] == "metadata.finalizers")

            #expect(try await h.mergePatch(path + "/held", ["metadata": ["finalizers": ["example.com/b"]]]).status == 200)
            #expect(try await h.get(path + "/held").status == 200)
            let last = try await h.mergePatch(path + "/held", ["metadata": ["finalizers": nil]])
            #expect(last.status == 200)
            #expect(try await h.get(path + "/held").status == 404)
        }
    }

    @Test func deletePreconditions() async throws {
        try await Harness.with { h in
            let object = try await h.configMap("pre")
            let wrongUID = try await h.delete(path + "/pre", ["preconditions": ["uid": "nope"]])
            #expect(wrongUID.status == 409)
            let wrongVersion = try await h.delete(path + "/pre", ["preconditions": ["resourceVersion": "1"]])
            #expect(wrongVersion.status == 409)
            let right = try await h.delete(path + "/pre", ["preconditions": ["uid": object.at("metadata.uid")!]])
            #expect(right.status == 200)
            #expect(try await h.delete(path + "/pre").status == 404)
        }
    }

    private func owned(by owner: JSONValue, block: Bool = false) -> JSONValue {
        var reference: JSONValue = [
            "apiVersion": "v1", "kind": "ConfigMap", "name": owner.at("metadata.name")!, "uid": owner.at("metadata.uid")!,
        ]
        if block { reference.set("blockOwnerDeletion", true) }
        return ["ownerReferences": [reference]]
    }

    @Test func backgroundDeletionCollectsDependents() async throws {
        try await Harness.with { h in
            let owner = try await h.configMap("owner")
            let child = try await h.configMap("child", extraMetadata: owned(by: owner))
            try await h.configMap("grandchild", extraMetadata: owned(by: child))
            let other = try await h.configMap("other")
            var twoOwners = owned(by: owner)
            twoOwners.set("ownerReferences", .array((owned(by: owner)["ownerReferences"]?.arrayValue ?? [])
                + (owned(by: other)["ownerReferences"]?.arrayValue ?? [])))
            try await h.configMap("shared", extraMetadata: twoOwners)
            #expect(try await h.delete(path + "/owner").status == 200)
            let names = try await h.get(path).json.names
            #expect(names == ["other", "shared"])
            let shared = try await h.get(path + "/shared")
            #expect(shared["metadata.ownerReferences"]?.arrayValue?.count == 1)
            #expect(shared["metadata.ownerReferences[0].name"] == "other")
        }
    }

    @Test func foregroundDeletionWaitsForBlockingDependents() async throws {
        try await Harness.with { h in
            let owner = try await h.configMap("owner")
            var metadata = owned(by: owner, block: true)
            metadata.set("finalizers", ["example.com/slow"])
            try await h.configMap("child", extraMetadata: metadata)
            let deleted = try await h.delete(path + "/owner", ["propagationPolicy": "Foreground"])
            #expect(deleted.status == 200)
            #expect(deleted["metadata.finalizers"] == ["foregroundDeletion"])
            let child = try await h.get(path + "/child")
            #expect(child["metadata.deletionTimestamp"] != nil)
            #expect(try await h.get(path + "/owner").status == 200)
            #expect(try await h.mergePatch(path + "/child", ["metadata": ["finalizers": nil]]).status == 200)
            #expect(try await h.get(path + "/child").status == 404)
            #expect(try await h.get(path + "/owner").status == 404)
        }
    }

    @Test func orphanDeletionKeepsDependentsWithoutTheReference() async throws {
        try await Harness.with { h in
            let owner = try await h.configMap("owner")
            try await h.configMap("child", extraMetadata: owned(by: owner))
            #expect(try await h.request(.delete, path + "/owner?propagationPolicy=Orphan").status == 200)
            #expect(try await h.get(path + "/owner").status == 404)
            let child = try await h.get(path + "/child")
            #expect(child.status == 200)
            #expect(child["metadata.ownerReferences"] == nil)
        }
    }

    @Test func dependentOfAMissingOwnerIsCollected() async throws {
        try await Harness.with { h in
            let created = try await h.post(path, [
                "metadata": ["name": "stray", "ownerReferences": [["apiVersion": "v1", "kind": "ConfigMap", "name": "gone", "uid": "0000"]]],
            ])
            #expect(created.status == 201)
            #expect(try await h.get(path + "/stray").status == 404)
        }
    }

    @Test func namespaceDeletionEmptiesItThenRemovesIt() async throws {
        try await Harness.with { h in
            #expect(try await h.post("/api/v1/namespaces", ["metadata": ["name": "team"]]).status == 201)
            try await h.configMap("plain", namespace: "team")
            try await h.configMap("held", namespace: "team", extraMetadata: ["finalizers": ["example.com/x"]])
            let deleted = try await h.delete("/api/v1/namespaces/team")
            #expect(deleted["status.phase"] == "Terminating")
            let creating = try await h.post("/api/v1/namespaces/team/configmaps", ["metadata": ["name": "new"]])
            #expect(creating.status == 403)
            #expect(try await h.get("/api/v1/namespaces/team/configmaps/plain").status == 404)
            #expect(try await h.get("/api/v1/namespaces/team").status == 200)
            #expect(try await h.mergePatch("/api/v1/namespaces/team/configmaps/held", ["metadata": ["finalizers": nil]]).status == 200)
            #expect(try await h.get("/api/v1/namespaces/team").status == 404)
            #expect(try await h.delete("/api/v1/namespaces/default").status == 403)
        }
    }

    @Test func deletingACRDRemovesItsObjectsAndStopsServingThem() async throws {
        try await Harness.with { (h: Harness) async throws in
            #expect(try await h.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", CRDFixtures.widget).status == 201)
            #expect(try await h.post(CRDFixtures.widgetsPath, CRDFixtures.widget("w1")).status == 201)
            #expect(try await h.delete("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com").status == 200)
            #expect(try await h.get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com").status == 404)
            #expect(try await h.get(CRDFixtures.widgetsPath).status == 404)
            #expect(try await h.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", CRDFixtures.widget).status == 201)
            #expect(try await h.get(CRDFixtures.widgetsPath).json.items.isEmpty)
        }
    }

    @Test func deleteCollectionHonoursTheSelector() async throws {
        try await Harness.with { h in
            try await h.configMap("a", labels: ["app": "x"])
            try await h.configMap("b", labels: ["app": "y"])
            let answer = try await h.request(.delete, path + "?labelSelector=app%3Dx")
            #expect(answer.status == 200)
            #expect(answer.json.names == ["a"])
            #expect(try await h.get(path).json.names == ["b"])
        }
    }
}
