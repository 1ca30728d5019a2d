import Foundation
import HTTPClient
import Testing
@testable import Kube

@Suite("client requests and errors")
struct ClientEncodingTests {
    @Test func queryValuesAreEscaped() {
        #expect(QueryString.encode([("labelSelector", "app in (a,b),!legacy"), ("limit", "5")])
            == "labelSelector=app%20in%20%28a%2Cb%29%2C%21legacy&limit=5")
        #expect(QueryString.escape("ünï/~x") == "%C3%BCn%C3%AF%2F~x")
    }

    @Test func optionsBecomeQueriesAndBodies() throws {
        let list = ListOptions(labelSelector: "a=b", fieldSelector: "spec.nodeName=n1", limit: 50, continueToken: "tok")
        #expect(list.query.map { "\($0.0)=\($0.1)" } == ["labelSelector=a=b", "fieldSelector=spec.nodeName=n1",
                                                         "limit=50", "continue=tok"])
        let watch = WatchOptions(resourceVersion: "42", timeoutSeconds: 30)
        #expect(watch.query.map { "\($0.0)=\($0.1)" } == ["watch=true", "resourceVersion=42",
                                                          "allowWatchBookmarks=true", "timeoutSeconds=30"])
        #expect(DeleteOptions().body == nil)
        let delete = DeleteOptions(propagationPolicy: .foreground, preconditionUID: "u-1", preconditionResourceVersion: "7")
        #expect(delete.body == [
            "apiVersion": "v1", "kind": "DeleteOptions", "propagationPolicy": "Foreground",
            "preconditions": ["uid": "u-1", "resourceVersion": "7"],
        ])
        let patch = Patch.json([.test("/metadata/resourceVersion", "7"),
                                .add("/metadata/labels/\(JSONPatchOperation.escape("egress/gw"))", "x"),
                                .remove("/spec/old")])
        #expect(patch.contentType == "application/json-patch+json")
        #expect(patch.body == [
            ["op": "test", "path": "/metadata/resourceVersion", "value": "7"],
            ["op": "add", "path": "/metadata/labels/egress~1gw", "value": "x"],
            ["op": "remove", "path": "/spec/old"],
        ])
        #expect(Patch.merge(["a": nil]).contentType == "application/merge-patch+json")
    }

    static func error(_ code: Int, _ body: String, headers: HTTPHeaders = [:]) -> KubeError {
        KubeError.from(method: "POST", url: "https://api/x", code: code, headers: headers, body: Array(body.utf8))
    }

    @Test func statusBodiesAreClassifiedByReason() {
        let exists = Self.error(409, #"{"kind":"Status","apiVersion":"v1","status":"Failure","message":"pods \"a\" already exists","reason":"AlreadyExists","code":409}"#)
        #expect(exists.isAlreadyExists)
        #expect(exists.description == "POST https://api/x: 409 AlreadyExists: pods \"a\" already exists")
        let conflict = Self.error(409, #"{"kind":"Status","status":"Failure","message":"the object has been modified","reason":"Conflict","code":409}"#)
        #expect(conflict.isConflict)
        let invalid = Self.error(422, #"""
            {"kind":"Status","status":"Failure","message":"X \"a\" is invalid","reason":"Invalid","code":422,
             "details":{"name":"a","kind":"X","causes":[{"reason":"FieldValueRequired","message":"Required value","field":"spec.port"}]}}
            """#)
        guard case .invalid(let details) = invalid else { Issue.record("expected invalid, got \(invalid)"); return }
        #expect(details.causes.map(\.field) == ["spec.port"])
        #expect(invalid.description.contains("spec.port: Required value"))
        let gone = Self.error(410, #"{"kind":"Status","status":"Failure","message":"too old resource version: 1 (5)","reason":"Expired","code":410}"#)
        #expect(gone.isGone)
        let timeout = Self.error(504, #"{"kind":"Status","reason":"Timeout","code":504,"message":"timed out"}"#)
        guard case .serverTimeout = timeout else { Issue.record("expected serverTimeout"); return }
        #expect(timeout.isTransient)
    }

    @Test func retryAfterComesFromHeaderOrDetails() {
        let header = Self.error(429, #"{"kind":"Status","reason":"TooManyRequests","code":429}"#, headers: ["Retry-After": "3"])
        guard case .tooManyRequests = header else { Issue.record("expected tooManyRequests"); return }
        #expect(header.retryAfter == .seconds(3))
        #expect(header.description.hasSuffix("(retry after 3.0 seconds)"))
        let details = Self.error(429, #"{"kind":"Status","reason":"TooManyRequests","code":429,"details":{"retryAfterSeconds":2}}"#)
        #expect(details.retryAfter == .seconds(2))
    }

    @Test func nonStatusAnswersAreNamedByCodeAndURL() {
        let html = Self.error(502, "<html><body>Bad Gateway</body></html>")
        guard case .api(let details) = html else { Issue.record("expected api, got \(html)"); return }
        #expect(details.code == 502)
        #expect(html.description == "POST https://api/x: 502 error: non-Status answer: <html><body>Bad Gateway</body></html>")
        #expect(html.isTransient)
        #expect(Self.error(404, "").isNotFound)
        #expect(Self.error(403, "forbidden").description.contains("https://api/x"))
    }

    @Test func undecodableSuccessNamesTheURL() {
        #expect(throws: KubeError.self) {
            try JSONCoding.decode(Pod.self, from: Array("<html>".utf8), method: "GET", url: "https://api/p", code: 200)
        }
        do {
            _ = try JSONCoding.decode(Pod.self, from: Array("<html>".utf8), method: "GET", url: "https://api/p", code: 200)
        } catch {
            #expect(error.description.hasPrefix("GET https://api/p: unexpected 200 answer: cannot decode Pod: not JSON"))
        }
    }

    @Test func dynamicObjectsKeepEverything() throws {
        let text = #"{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w","namespace":"n"},"spec":{"size":3},"status":{"ok":true}}"#
        var object = try JSONDecoder().decode(DynamicObject.self, from: Data(text.utf8))
        #expect(object.metadata.name == "w")
        #expect(object["spec"]?["size"] == 3)
        object["spec"] = ["size": 4]
        let json = try object.json
        #expect(json["status"]?["ok"] == true)
        #expect(json["spec"]?["size"] == 4)
        #expect(json["kind"] == "Widget")
        #expect(object.objectKey == ObjectKey("n/w"))
    }

    @Test func unreachableServerAndMissingTokenFileNameTheirURLAndFile() async throws {
        let client = try KubeClient(configuration: KubeClientConfiguration(server: "http://127.0.0.1:1", proxy: .none))
        let unreachable = await #expect(throws: KubeError.self) {
            try await client.resource(Pod.self, namespace: "ns").get("p")
        }
        guard case .transport(.couldNotConnect(let url, _)) = unreachable else {
            Issue.record("expected couldNotConnect, got \(String(describing: unreachable))"); return
        }
        #expect(url == "http://127.0.0.1:1/api/v1/namespaces/ns/pods/p")

        let scratch = try ScratchDirectory()
        let tokenless = try KubeClient(configuration: KubeClientConfiguration(
            server: "http://127.0.0.1:1", credentials: .tokenFile("\(scratch.path)/token"), proxy: .none))
        let missing = await #expect(throws: KubeError.self) { try await tokenless.resource(Node.self).list() }
        #expect(missing?.description.contains("\(scratch.path)/token") == true)
    }

    @Test func requestsWithoutANamespaceAreRefusedBeforeSending() async throws {
        let client = try KubeClient(configuration: KubeClientConfiguration(server: "http://127.0.0.1:1", proxy: .none))
        let error = await #expect(throws: KubeError.self) {
            try await client.resource(Pod.self).create(Pod(metadata: ObjectMeta(name: "p")))
        }
        #expect(error?.description == "Pod \"p\": a namespace is needed (set metadata.namespace or bind one)")
        let badName = await #expect(throws: KubeError.self) { try await client.resource(Node.self).get("a/b") }
        #expect(badName?.description == "Node name \"a/b\" is not a valid object name")
    }
}
