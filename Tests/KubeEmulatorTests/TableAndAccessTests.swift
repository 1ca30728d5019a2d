import Kube
import KubeEmulator
import Testing

@Suite struct TableAndAccessTests {
    private let table = [("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io,application/json")]

    @Test func tablesCarryPrinterColumns() async throws {
        try await Harness.with { h in
            #expect(try await h.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", CRDFixtures.widget).status == 201)
            #expect(try await h.post(CRDFixtures.widgetsPath, CRDFixtures.widget("w", size: 7)).status == 201)
            let answer = try await h.request(.get, CRDFixtures.widgetsPath, headers: table)
            #expect(answer["kind"] == "Table")
            #expect(answer["apiVersion"] == "meta.k8s.io/v1")
            let columns = answer.json["columnDefinitions"]?.arrayValue?.compactMap { $0["name"]?.stringValue }
            #expect(columns == ["Name", "Size", "Color", "Phase", "Age"])
            #expect(answer["columnDefinitions[3].priority"] == 1)
            let cells = answer["rows[0].cells"]?.arrayValue ?? []
            #expect(Array(cells.prefix(4)) == ["w", 7, "red", nil])
            #expect(answer["rows[0].object.kind"] == "PartialObjectMetadata")
            #expect(answer["rows[0].object.metadata.name"] == "w")
            let full = try await h.request(.get, CRDFixtures.widgetsPath + "/w?includeObject=Object", headers: table)
            #expect(full["rows[0].object.spec.size"] == 7)
            let namespaces = try await h.request(.get, "/api/v1/namespaces", headers: table)
            #expect(namespaces["columnDefinitions"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["Name", "Status", "Age"])
            #expect(namespaces["rows[0].cells[1]"] == "Active")
            let event: JSONValue = ["metadata": ["name": "e1"], "type": "Normal", "reason": "Started", "message": "hello",
                                    "involvedObject": ["kind": "Pod", "name": "web", "namespace": "default"]]
            #expect(try await h.post("/api/v1/namespaces/default/events", event).status == 201)
            let events = try await h.request(.get, "/api/v1/namespaces/default/events", headers: table)
            let visible = events.json["columnDefinitions"]?.arrayValue?.filter { $0["priority"] == 0 }.compactMap { $0["name"]?.stringValue }
            #expect(visible == ["Last Seen", "Type", "Reason", "Object", "Message"])
            let eventCells = events["rows[0].cells"]?.arrayValue ?? []
            #expect(eventCells.count == 10)
            #expect(eventCells.contains("pod/web") && eventCells.contains("hello") && eventCells.contains("e1"))
        }
    }

    @Test func bearerTokensAndRBAC() async throws {
        let configuration = KubeEmulator.Configuration(authentication: .bearerTokens(["admin-token": .admin]),
                                                       authorization: .rbac)
        try await Harness.with(configuration) { h in
            let admin = [("Authorization", "Bearer admin-token")]
            #expect(try await h.get("/api/v1/namespaces").status == 401)
            #expect(try await h.request(.get, "/api/v1/namespaces", headers: [("Authorization", "Bearer wrong")]).status == 401)
            #expect(try await h.request(.get, "/api/v1/namespaces", headers: admin).status == 200)
            let role: JSONValue = ["metadata": ["name": "reader"], "rules": [
                ["apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list", "watch"]],
                ["apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["*"], "resourceNames": ["mine"]],
            ]]
            #expect(try await h.request(.post, "/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles", role,
                                        headers: admin).status == 201)
            let binding: JSONValue = [
                "metadata": ["name": "reader"],
                "roleRef": ["apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"],
                "subjects": [["kind": "ServiceAccount", "name": "bot", "namespace": "default"]],
            ]
            #expect(try await h.request(.post, "/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings", binding,
                                        headers: admin).status == 201)
            let token = h.emulator.serviceAccountToken(namespace: "default", name: "bot")
            let bot = [("Authorization", "Bearer \(token)")]
            #expect(try await h.request(.get, "/api/v1/namespaces/default/configmaps", headers: bot).status == 200)
            let denied = try await h.request(.post, "/api/v1/namespaces/default/configmaps", ["metadata": ["name": "x"]], headers: bot)
            #expect(denied.status == 403)
            #expect(denied["message"] == "configmaps is forbidden: User \"system:serviceaccount:default:bot\" cannot create resource \"configmaps\" in API group \"\" in the namespace \"default\"")
            #expect(try await h.request(.get, "/api/v1/namespaces/kube-system/configmaps", headers: bot).status == 403)
            #expect(try await h.request(.get, "/api/v1/secrets", headers: bot).status == 403)
            let lease: JSONValue = ["metadata": ["name": "mine"], "spec": ["holderIdentity": "bot"]]
            #expect(try await h.request(.post, "/apis/coordination.k8s.io/v1/namespaces/default/leases", lease, headers: admin).status == 201)
            #expect(try await h.request(.get, "/apis/coordination.k8s.io/v1/namespaces/default/leases/mine", headers: bot).status == 200)
            #expect(try await h.request(.get, "/apis/coordination.k8s.io/v1/namespaces/default/leases/other", headers: bot).status == 403)
            #expect(try await h.request(.get, "/api/v1", headers: bot).status == 200)

            #expect(try await h.request(.post, "/api/v1/namespaces/default/serviceaccounts", ["metadata": ["name": "bot"]],
                                        headers: admin).status == 201)
            let tokenRequest = try await h.request(.post, "/api/v1/namespaces/default/serviceaccounts/bot/token",
                                                   ["spec": ["expirationSeconds": 600]], headers: admin)
            #expect(tokenRequest.status == 201)
            #expect(tokenRequest["kind"] == "TokenRequest")
            let minted = try #require(tokenRequest["status.token"]?.string)
            #expect(try await h.request(.get, "/api/v1/namespaces/default/configmaps",
                                        headers: [("Authorization", "Bearer \(minted)")]).status == 200)
            #expect(try await h.request(.post, "/api/v1/namespaces/default/serviceaccounts/ghost/token", .object([:]),
                                        headers: admin).status == 404)
            #expect(try await h.request(.post, "/api/v1/namespaces/default/serviceaccounts/bot/token", .object([:]),
                                        headers: bot).status == 403)
        }
    }

    @Test func injectedFaults() async throws {
        try await Harness.with { h in
            h.emulator.setFaults(FaultInjection(tooManyRequestsRate: 1, retryAfterSeconds: 7))
            let throttled = try await h.get("/api/v1/namespaces")
            #expect(throttled.status == 429)
            #expect(throttled.headers["Retry-After"] == "7")
            #expect(throttled["details.retryAfterSeconds"] == 7)
            #expect(try await h.get("/api/v1").status == 200)
            h.emulator.setFaults(FaultInjection(internalErrorRate: 1))
            #expect(try await h.get("/api/v1/namespaces").status == 500)
            h.emulator.setFaults(FaultInjection(watchDropRate: 1))
            let watch = try await h.watch("/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=\(h.emulator.resourceVersion)")
            try await h.configMap("a")
            #expect(try await watch.nextChange()?.type == "ADDED")
            #expect(try await watch.nextChange() == nil)
            h.emulator.setFaults(.none)
            #expect(try await h.get("/api/v1/namespaces").status == 200)
        }
    }
}
