import Kube
import Testing

@Suite struct ObjectSemanticsTests {
    @Test func createSetsServerFieldsAndVersionsAreClusterWideAndIncreasing() async throws {
        try await Harness.with { h in
            let first = try await h.configMap("a", data: ["k": "v"])
            let uid = try #require(first.at("metadata.uid")?.string)
            #expect(uid.count == 36)
            #expect(first.at("metadata.creationTimestamp")?.string?.hasSuffix("Z") == true)
            let secret = try await h.post("/api/v1/namespaces/default/secrets", [
                "metadata": ["name": "s"], "stringData": ["password": "hunter2"],
            ])
            #expect(secret.status == 201)
            #expect(secret["data.password"] == "aHVudGVyMg==")
            #expect(secret["stringData"] == nil)
            #expect(secret["type"] == "Opaque")
            let second = try await h.configMap("b")
            let versions = [first, secret.json, second].compactMap { $0.at("metadata.resourceVersion")?.string.flatMap { Int64($0) } }
            #expect(versions.count == 3)
            #expect(versions == versions.sorted() && Set(versions).count == 3)
            let list = try await h.get("/api/v1/namespaces/default/configmaps")
            #expect(list["kind"] == "ConfigMapList")
            #expect(Int64(list["metadata.resourceVersion"]?.string ?? "") ?? 0 >= versions.last!)
        }
    }

    @Test func aPodIsBoundToANodeOnceWhileItsSpecStaysImmutable() async throws {
        try await Harness.with { h in
            let pod = try await h.post("/api/v1/namespaces/default/pods", [
                "metadata": ["name": "web"], "spec": ["containers": [["name": "c", "image": "busybox"]]],
            ])
            #expect(pod.status == 201)
            try h.emulator.bindPod(namespace: "default", name: "web", node: "worker-0")
            let bound = try await h.get("/api/v1/namespaces/default/pods/web")
            #expect(bound["spec.nodeName"] == "worker-0")
            #expect(bound["spec.containers"] == pod["spec.containers"])
            #expect(throws: Status.self) { try h.emulator.bindPod(namespace: "default", name: "web", node: "worker-1") }
            do { try h.emulator.bindPod(namespace: "default", name: "web", node: "worker-1") } catch let error as Status { #expect(error.code == 409) }
            #expect(try await h.get("/api/v1/namespaces/default/pods/web")["spec.nodeName"] == "worker-0")
        }
    }

    @Test func errorsAreStatusBodiesWithTheRightCodes() async throws {
        try await Harness.with { h in
            try await h.configMap("dup")
            let again = try await h.post("/api/v1/namespaces/default/configmaps", ["metadata": ["name": "dup"]])
            #expect(again.status == 409)
            #expect(again["reason"] == "AlreadyExists")
            #expect(again["message"] == "configmaps \"dup\" already exists")
            #expect(again["kind"] == "Status")
            let missing = try await h.get("/api/v1/namespaces/default/configmaps/nope")
            #expect(missing.status == 404)
            #expect(missing["reason"] == "NotFound")
            #expect(missing["message"] == "configmaps \"nope\" not found")
            #expect(missing["details.name"] == "nope")
            let lease = try await h.get("/apis/coordination.k8s.io/v1/namespaces/default/leases/l")
            #expect(lease["message"] == "leases.coordination.k8s.io \"l\" not found")
            let badName = try await h.post("/api/v1/namespaces/default/configmaps", ["metadata": ["name": "Bad_Name"]])
            #expect(badName.status == 422)
            #expect(badName["reason"] == "Invalid")
            #expect(badName["details.causes[0].field"] == "metadata.name")
            let noNamespace = try await h.post("/api/v1/namespaces/ghost/configmaps", ["metadata": ["name": "x"]])
            #expect(noNamespace.status == 404)
            #expect(noNamespace["message"] == "namespaces \"ghost\" not found")
            let wrongKind = try await h.post("/api/v1/namespaces/default/configmaps", ["kind": "Secret", "metadata": ["name": "x"]])
            #expect(wrongKind.status == 400)
            let notJSON = try await h.request(.post, "/api/v1/namespaces/default/configmaps", nil,
                                              headers: [("Content-Type", "application/json")])
            #expect(notJSON.status == 400)
        }
    }

    @Test func staleResourceVersionIsAConflict() async throws {
        try await Harness.with { h in
            var object = try await h.configMap("cm", data: ["n": "1"])
            let path = "/api/v1/namespaces/default/configmaps/cm"
            var changed = object
            changed.set("data.n", "2")
            let first = try await h.put(path, changed)
            #expect(first.status == 200)
            #expect(first["data.n"] == "2")
            #expect(first["metadata.resourceVersion"] != object.at("metadata.resourceVersion"))
            object.set("data.n", "3")
            let stale = try await h.put(path, object)
            #expect(stale.status == 409)
            #expect(stale["reason"] == "Conflict")
            #expect(stale["message"] == "Operation cannot be fulfilled on configmaps \"cm\": the object has been modified; please apply your changes to the latest version and try again")
            var unconditional = object
            unconditional.set("metadata.resourceVersion", nil)
            #expect(try await h.put(path, unconditional).status == 200)
            let renamed = try await h.put(path, ["metadata": ["name": "other"]])
            #expect(renamed.status == 400)
        }
    }

    @Test func noOpUpdateKeepsTheResourceVersion() async throws {
        try await Harness.with { h in
            let object = try await h.configMap("same", data: ["a": "b"])
            let answer = try await h.put("/api/v1/namespaces/default/configmaps/same", object)
            #expect(answer.status == 200)
            #expect(answer["metadata.resourceVersion"] == object.at("metadata.resourceVersion"))
        }
    }

    @Test func generateNameMakesAUniqueName() async throws {
        try await Harness.with { h in
            let answer = try await h.post("/api/v1/namespaces/default/configmaps", ["metadata": ["generateName": "gen-"]])
            #expect(answer.status == 201)
            let name = try #require(answer["metadata.name"]?.string)
            #expect(name.hasPrefix("gen-") && name.count == 9)
        }
    }

    @Test func statusSubresourceAndGeneration() async throws {
        try await Harness.with { h in
            #expect(try await h.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", CRDFixtures.widget).status == 201)
            var widget = CRDFixtures.widget("w")
            widget.set("status", ["phase": "Ignored"])
            let created = try await h.post(CRDFixtures.widgetsPath, widget)
            #expect(created.status == 201)
            #expect(created["metadata.generation"] == 1)
            #expect(created["status"] == nil)
            let path = CRDFixtures.widgetsPath + "/w"

            var statusOnly = created.json
            statusOnly.set("status", ["phase": "Ready"])
            statusOnly.set("spec.size", 9)
            let statusAnswer = try await h.put(path + "/status", statusOnly)
            #expect(statusAnswer.status == 200)
            #expect(statusAnswer["status.phase"] == "Ready")
            #expect(statusAnswer["spec.size"] == 3)
            #expect(statusAnswer["metadata.generation"] == 1)

            var specChange = statusAnswer.json
            specChange.set("spec.size", 5)
            specChange.set("status.phase", "Overwritten")
            let specAnswer = try await h.put(path, specChange)
            #expect(specAnswer.status == 200)
            #expect(specAnswer["spec.size"] == 5)
            #expect(specAnswer["status.phase"] == "Ready")
            #expect(specAnswer["metadata.generation"] == 2)

            let labelled = try await h.mergePatch(path, ["metadata": ["labels": ["a": "b"]]])
            #expect(labelled["metadata.generation"] == 2)
            let statusPatch = try await h.mergePatch(path + "/status", ["status": ["phase": "Done"]])
            #expect(statusPatch["status.phase"] == "Done")
            #expect(statusPatch["metadata.generation"] == 2)

            var noVersion = specAnswer.json
            noVersion.set("metadata.resourceVersion", nil)
            let unconditional = try await h.put(path, noVersion)
            #expect(unconditional.status == 422)
            #expect(unconditional["details.causes[0].field"] == "metadata.resourceVersion")
        }
    }

    @Test func podsGetPendingStatusAndImmutableSpec() async throws {
        try await Harness.with { h in
            let pod: JSONValue = [
                "metadata": ["name": "p"],
                "spec": ["nodeName": "n1", "containers": [["name": "c", "image": "busybox"]]],
                "status": ["phase": "Running"],
            ]
            let created = try await h.post("/api/v1/namespaces/default/pods", pod)
            #expect(created.status == 201)
            #expect(created["status.phase"] == "Pending")
            #expect(created["spec.restartPolicy"] == "Always")
            let status = try await h.mergePatch("/api/v1/namespaces/default/pods/p/status",
                                                ["status": ["phase": "Running", "podIP": "10.1.0.5"]])
            #expect(status["status.podIP"] == "10.1.0.5")
            let moved = try await h.mergePatch("/api/v1/namespaces/default/pods/p", ["spec": ["nodeName": "n2"]])
            #expect(moved.status == 422)
            let image = try await h.request(.patch, "/api/v1/namespaces/default/pods/p",
                                            ["spec": ["containers": [["name": "c", "image": "alpine"]]]],
                                            contentType: "application/strategic-merge-patch+json")
            #expect(image.status == 200)
            #expect(image["spec.containers[0].image"] == "alpine")
            #expect(image["spec.containers[0].terminationMessagePath"] == "/dev/termination-log")
            let invalid = try await h.post("/api/v1/namespaces/default/pods", ["metadata": ["name": "q"], "spec": .object([:])])
            #expect(invalid.status == 422)
            #expect(invalid["details.causes[0].field"] == "spec.containers")
            #expect(invalid["details.causes[0].message"] == "Required value")
        }
    }
}
