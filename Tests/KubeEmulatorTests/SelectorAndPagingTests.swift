import Kube
import KubeEmulator
import Testing

@Suite struct SelectorAndPagingTests {
    private let path = "/api/v1/namespaces/default/configmaps"

    private func names(_ h: Harness, _ query: String) async throws -> [String] {
        let answer = try await h.get(path + "?" + query)
        guard answer.status == 200 else { throw Unexpected(answer: answer) }
        return answer.json.names
    }

    @Test func labelSelectorOperators() async throws {
        try await Harness.with { h in
            try await h.configMap("a", labels: ["app": "web", "tier": "front"])
            try await h.configMap("b", labels: ["app": "web", "tier": "back"])
            try await h.configMap("c", labels: ["app": "db"])
            try await h.configMap("d")
            #expect(try await names(h, "labelSelector=app%3Dweb") == ["a", "b"])
            #expect(try await names(h, "labelSelector=app%3D%3Dweb") == ["a", "b"])
            #expect(try await names(h, "labelSelector=app!%3Dweb") == ["c", "d"])
            #expect(try await names(h, "labelSelector=tier+in+(front,side)") == ["a"])
            #expect(try await names(h, "labelSelector=tier%20notin%20(front)") == ["b", "c", "d"])
            #expect(try await names(h, "labelSelector=tier") == ["a", "b"])
            #expect(try await names(h, "labelSelector=!tier") == ["c", "d"])
            #expect(try await names(h, "labelSelector=app%3Dweb,tier!%3Dfront") == ["b"])
            let bad = try await h.get(path + "?labelSelector=app%3D%3D%3D")
            #expect(bad.status == 400)
        }
    }

    @Test func fieldSelectors() async throws {
        try await Harness.with { h in
            try await h.configMap("a")
            try await h.configMap("b")
            #expect(try await names(h, "fieldSelector=metadata.name%3Db") == ["b"])
            #expect(try await names(h, "fieldSelector=metadata.name!%3Db") == ["a"])
            #expect(try await names(h, "fieldSelector=metadata.namespace%3Ddefault") == ["a", "b"])
            let unsupported = try await h.get(path + "?fieldSelector=data.x%3Dy")
            #expect(unsupported.status == 400)
            #expect(unsupported["message"] == "field label not supported: data.x")
            for (name, node) in [("p1", "n1"), ("p2", "n2"), ("p3", "n1")] {
                let pod: JSONValue = ["metadata": ["name": .string(name)],
                                      "spec": ["nodeName": .string(node), "containers": [["name": "c", "image": "i"]]]]
                #expect(try await h.post("/api/v1/namespaces/default/pods", pod).status == 201)
            }
            let onNode = try await h.get("/api/v1/pods?fieldSelector=spec.nodeName%3Dn1")
            #expect(onNode.json.names == ["p1", "p3"])
        }
    }

    @Test func allNamespacesAndClusterScope() async throws {
        try await Harness.with { h in
            #expect(try await h.post("/api/v1/namespaces", ["metadata": ["name": "other"]]).status == 201)
            try await h.configMap("x", namespace: "other")
            try await h.configMap("y")
            let all = try await h.get("/api/v1/configmaps")
            #expect(all.json.items.map { $0.at("metadata.namespace")?.string ?? "" } == ["default", "other"])
            let node = try await h.post("/api/v1/nodes", ["metadata": ["name": "n1", "namespace": "ignored"]])
            #expect(node.status == 201)
            #expect(node["metadata.namespace"] == nil)
            #expect(try await h.get("/api/v1/namespaces/default/nodes/n1").status == 404)
            #expect(try await h.get("/api/v1/nodes/n1").status == 200)
        }
    }

    @Test func paginationWalksEverythingOnceWithContinueTokens() async throws {
        try await Harness.with { h in
            for index in 0..<7 { try await h.configMap("cm-\(index)", labels: ["even": index % 2 == 0 ? "yes" : "no"]) }
            var seen: [String] = []
            var token = ""
            var pages = 0
            repeat {
                let answer = try await h.get(path + "?limit=3" + (token.isEmpty ? "" : "&continue=\(token)"))
                #expect(answer.status == 200)
                seen += answer.json.names
                token = answer["metadata.continue"]?.string ?? ""
                if !token.isEmpty { #expect(answer["metadata.remainingItemCount"] == .integer(Int64(7 - seen.count))) }
                pages += 1
            } while !token.isEmpty && pages < 10
            #expect(seen == (0..<7).map { "cm-\($0)" })
            #expect(pages == 3)
            let filtered = try await h.get(path + "?limit=2&labelSelector=even%3Dyes")
            #expect(filtered.json.names == ["cm-0", "cm-2"])
            let rest = try await h.get(path + "?limit=2&labelSelector=even%3Dyes&continue=\(filtered["metadata.continue"]?.string ?? "")")
            #expect(rest.json.names == ["cm-4", "cm-6"])
            #expect(rest["metadata.continue"] == nil)
            #expect(try await h.get(path + "?continue=garbage").status == 400)
        }
    }

    @Test func continueTokenOlderThanTheHistoryIsGone() async throws {
        try await Harness.with(KubeEmulator.Configuration(historyLimit: 5)) { h in
            for index in 0..<3 { try await h.configMap("cm-\(index)") }
            let first = try await h.get(path + "?limit=1")
            let token = try #require(first["metadata.continue"]?.string)
            for index in 0..<10 { try await h.configMap("later-\(index)") }
            let expired = try await h.get(path + "?limit=1&continue=\(token)")
            #expect(expired.status == 410)
            #expect(expired["reason"] == "Expired")
        }
    }
}
