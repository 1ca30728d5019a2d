import Foundation
import HTTPClient
import Kube
import Testing
import TestSupport

@Suite("wire format")
struct WireFormatTests {
    static func client(_ url: String) throws -> KubeClient {
        try KubeClient(configuration: KubeClientConfiguration(
            server: url + "/", credentials: .bearer("secret-token"),
            userAgent: KubeClientConfiguration.userAgent(version: "1.2.3", role: "operator"), proxy: .none))
    }

    static let storedMap = #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"m","namespace":"ns","resourceVersion":"5"},"data":{"a":"1"}}"#

    @Test func requestsCarryHeadersPathsQueriesAndBodies() async throws {
        try await ScriptedServer.run({ request in
            request.method == "DELETE"
                ? .json(#"{"kind":"Status","apiVersion":"v1","status":"Success"}"#)
                : request.method == "GET" && request.path.hasSuffix("configmaps")
                ? .json(#"{"kind":"ConfigMapList","metadata":{"resourceVersion":"9"},"items":[\#(Self.storedMap)]}"#)
                : .json(Self.storedMap)
        }) { url, requests in
            let maps = try Self.client(url).resource(ConfigMap.self, namespace: "ns")
            let created = try await maps.create(ConfigMap(metadata: ObjectMeta(name: "m"), data: ["a": "1"]))
            #expect(created.metadata.resourceVersion == "5")
            _ = try await maps.patch("m", .json([.replace("/data/a", "2")]))
            let list = try await maps.list(ListOptions(labelSelector: "app in (gw, db),!legacy", limit: 2, continueToken: "a+b/c="))
            #expect(list.metadata.resourceVersion == "9")
            #expect(try await maps.delete("m", options: DeleteOptions(propagationPolicy: .foreground)) == nil)

            let seen = requests()
            #expect(seen.map { "\($0.method) \($0.path)" } == [
                "POST /api/v1/namespaces/ns/configmaps", "PATCH /api/v1/namespaces/ns/configmaps/m",
                "GET /api/v1/namespaces/ns/configmaps", "DELETE /api/v1/namespaces/ns/configmaps/m",
            ])
            for request in seen {
                #expect(request.headers["user-agent"] == "egressgw/1.2.3 (operator)")
                #expect(request.headers["accept"] == "application/json")
                #expect(request.headers["authorization"] == "Bearer secret-token")
            }
            let create = try JSONValue(json: Data(seen[0].body.utf8))
            #expect(create == ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "m"],
                               "data": ["a": "1"]])
            #expect(seen[0].headers["content-type"] == "application/json")
            #expect(seen[1].headers["content-type"] == "application/json-patch+json")
            #expect(try JSONValue(json: Data(seen[1].body.utf8)) == [["op": "replace", "path": "/data/a", "value": "2"]])
            #expect(seen[2].queryItems.map { "\($0.0)=\($0.1)" }
                == ["labelSelector=app in (gw, db),!legacy", "limit=2", "continue=a+b/c="])
            #expect(seen[2].body.isEmpty && seen[2].headers["content-type"] == nil)
            #expect(try JSONValue(json: Data(seen[3].body.utf8))["propagationPolicy"] == "Foreground")
        }
    }

    @Test func nonJSONAnswersNameTheURL() async throws {
        try await ScriptedServer.run({ request in
            request.path.hasSuffix("/html")
                ? ScriptedResponse(status: 200, contentType: "text/html", body: "<html>captive portal</html>")
                : ScriptedResponse(status: 502, contentType: "text/html", body: "<html>Bad Gateway</html>")
        }) { url, _ in
            let maps = try Self.client(url).resource(ConfigMap.self, namespace: "ns")
            let html = await #expect(throws: KubeError.self) { try await maps.get("html") }
            #expect(html?.description.hasPrefix(
                "GET \(url)/api/v1/namespaces/ns/configmaps/html: unexpected 200 answer: cannot decode ConfigMap: not JSON")
                == true)
            let gateway = await #expect(throws: KubeError.self) { try await maps.get("other") }
            #expect(gateway?.description
                == "GET \(url)/api/v1/namespaces/ns/configmaps/other: 502 error: non-Status answer: <html>Bad Gateway</html>")
            #expect(gateway?.isTransient == true)
        }
    }

    @Test func brokenWatchLinesNameTheWatch() async throws {
        try await ScriptedServer.run({ _ in
            .json(#"{"type":"ADDED","object":\#(Self.storedMap)}"# + "\n" + #"{"type":"SURPRISE","object":{}}"# + "\n")
        }) { url, requests in
            let maps = try Self.client(url).resource(ConfigMap.self, namespace: "ns")
            var names: [String] = []
            let error = await #expect(throws: KubeError.self) {
                for try await event in try await maps.watch(WatchOptions(resourceVersion: "4", timeoutSeconds: 60)) {
                    names.append(event.object?.metadata.name ?? "")
                }
            }
            #expect(names == ["m"])
            #expect(error?.description.contains("unknown event type \"SURPRISE\"") == true)
            #expect(error?.description.contains("\(url)/api/v1/namespaces/ns/configmaps?watch=true") == true)
            #expect(requests().first?.queryItems.map { "\($0.0)=\($0.1)" }
                == ["watch=true", "resourceVersion=4", "allowWatchBookmarks=true", "timeoutSeconds=60"])
        }
    }
}
