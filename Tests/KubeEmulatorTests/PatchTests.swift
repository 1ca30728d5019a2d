import HTTPClient
import Kube
import Testing

@Suite struct PatchTests {
    private let path = "/api/v1/namespaces/default/configmaps/p"

    @Test func mergePatchFollowsRFC7386() async throws {
        try await Harness.with { h in
            try await h.configMap("p", labels: ["a": "1", "b": "2"], data: ["x": "1"])
            let answer = try await h.mergePatch(path, ["metadata": ["labels": ["a": nil, "c": "3"]], "data": ["y": "2"]])
            #expect(answer.status == 200)
            #expect(answer["metadata.labels"] == ["b": "2", "c": "3"])
            #expect(answer["data"] == ["x": "1", "y": "2"])
        }
    }

    @Test func mergePatchWithStaleVersionConflicts() async throws {
        try await Harness.with { h in
            let object = try await h.configMap("p")
            #expect(try await h.mergePatch(path, ["data": ["a": "b"]]).status == 200)
            let stale = try await h.mergePatch(path, ["metadata": ["resourceVersion": object.at("metadata.resourceVersion")!], "data": ["c": "d"]])
            #expect(stale.status == 409)
        }
    }

    @Test func jsonPatchOperations() async throws {
        try await Harness.with { h in
            try await h.configMap("p", extraMetadata: ["finalizers": ["a/b", "c/d"]])
            let patch: JSONValue = [
                ["op": "add", "path": "/data", "value": ["k": "v"]],
                ["op": "add", "path": "/metadata/labels", "value": ["x/y": "z"]],
                ["op": "remove", "path": "/metadata/finalizers/0"],
                ["op": "test", "path": "/data/k", "value": "v"],
                ["op": "copy", "from": "/data/k", "path": "/data/k2"],
                ["op": "replace", "path": "/data/k", "value": "w"],
            ]
            let answer = try await h.request(.patch, path, patch, contentType: "application/json-patch+json")
            #expect(answer.status == 200)
            #expect(answer["data"] == ["k": "w", "k2": "v"])
            #expect(answer["metadata.labels"] == ["x/y": "z"])
            #expect(answer["metadata.finalizers"] == ["c/d"])
            let failing = try await h.request(.patch, path, [["op": "test", "path": "/data/k", "value": "nope"]],
                                              contentType: "application/json-patch+json")
            #expect(failing.status == 422)
            let missing = try await h.request(.patch, path, [["op": "remove", "path": "/spec/none"]],
                                              contentType: "application/json-patch+json")
            #expect(missing.status == 422)
        }
    }

    @Test func strategicMergePatchMergesFinalizersAndKeyedLists() async throws {
        try await Harness.with { h in
            try await h.configMap("p", extraMetadata: ["finalizers": ["a/one"]])
            let added = try await h.request(.patch, path, ["metadata": ["finalizers": ["a/two"]]],
                                            contentType: "application/strategic-merge-patch+json")
            #expect(added["metadata.finalizers"] == ["a/one", "a/two"])
            let removed = try await h.request(.patch, path, ["metadata": ["$deleteFromPrimitiveList/finalizers": ["a/one"]]],
                                              contentType: "application/strategic-merge-patch+json")
            #expect(removed["metadata.finalizers"] == ["a/two"])
            let pod: JSONValue = ["metadata": ["name": "pod"], "spec": ["containers": [
                ["name": "a", "image": "one"], ["name": "b", "image": "two"],
            ]]]
            #expect(try await h.post("/api/v1/namespaces/default/pods", pod).status == 201)
            let status = try await h.request(.patch, "/api/v1/namespaces/default/pods/pod/status", ["status": ["conditions": [
                ["type": "Ready", "status": "False"], ["type": "PodScheduled", "status": "True"],
            ]]], contentType: "application/strategic-merge-patch+json")
            #expect(status["status.conditions"]?.arrayValue?.count == 2)
            let updated = try await h.request(.patch, "/api/v1/namespaces/default/pods/pod/status", ["status": ["conditions": [
                ["type": "Ready", "status": "True"],
            ]]], contentType: "application/strategic-merge-patch+json")
            #expect(updated["status.conditions[0]"] == ["type": "Ready", "status": "True"])
            #expect(updated["status.conditions[1].type"] == "PodScheduled")
            let image = try await h.request(.patch, "/api/v1/namespaces/default/pods/pod",
                                            ["spec": ["containers": [["name": "b", "image": "three"]]]],
                                            contentType: "application/strategic-merge-patch+json")
            #expect(image["spec.containers[0].image"] == "one")
            #expect(image["spec.containers[1].image"] == "three")
        }
    }

    @Test func unknownPatchTypeIs415() async throws {
        try await Harness.with { h in
            try await h.configMap("p")
            let answer = try await h.request(.patch, path, ["data": .object([:])], contentType: "application/x-www-form-urlencoded")
            #expect(answer.status == 415)
            #expect(try await h.mergePatch("/api/v1/namespaces/default/configmaps/none", ["data": .object([:])]).status == 404)
        }
    }
}

@Suite struct ServerSideApplyTests {
    @Test func applyCreatesThenMerges() async throws {
        try await Harness.with { h in
            let path = "/api/v1/namespaces/default/configmaps/applied"
            let missingManager = try await h.request(.patch, path, ["apiVersion": "v1", "kind": "ConfigMap"],
                                                     contentType: "application/apply-patch+yaml")
            #expect(missingManager.status == 422)
            let config: JSONValue = ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "applied"], "data": ["a": "1"]]
            let created = try await h.request(.patch, path + "?fieldManager=test", config, contentType: "application/apply-patch+yaml")
            #expect(created.status == 201)
            #expect(created["data"] == ["a": "1"])
            let yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\ndata:\n  b: \"2\"\n"
            let response = try await h.client.execute(HTTPRequest(
                method: .patch, url: h.url + path + "?fieldManager=test",
                headers: ["Content-Type": "application/apply-patch+yaml"], body: Array(yaml.utf8)))
            #expect(response.status == 200)
            let merged = try await h.get(path)
            #expect(merged["data"] == ["a": "1", "b": "2"])
        }
    }
}
