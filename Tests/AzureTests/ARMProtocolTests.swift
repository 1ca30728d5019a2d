import Foundation
import Logging
import Synchronization
import Testing
import TestSupport
@testable import Azure

/// ARM protocol edge cases against a scripted server: what the client sends, and how it reacts to each answer.
@Suite("ARM protocol")
struct ARMProtocolTests {
    let lbPath = "/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Network/loadBalancers/ilb"

    @Test("GET carries the api-version, bearer token and user agent; 404 keeps ARM's code")
    func getAndNotFound() async throws {
        try await ScriptedServer.run({ request, _ in
            request.path.hasSuffix("/ilb")
                ? ScriptedResponse(200, #"{"name":"ilb","etag":"W/\"1\""}"#)
                : ScriptedResponse(404, #"{"error":{"code":"ResourceNotFound","message":"The Resource 'x' was not found."}}"#)
        }) { url, requests in
            let arm = try ARMClient.local(url)
            let lb = try await arm.get(lbPath, apiVersion: "2025-05-01")
            #expect(lb["name"] == "ilb")
            let request = try #require(requests().first)
            #expect(request.query["api-version"] == "2025-05-01")
            #expect(request.headers["authorization"] == "Bearer fixed-arm-token")
            #expect(request.headers["user-agent"] == "egressgw-test")
            let error = await #expect(throws: ARMError.self) { try await arm.get(lbPath + "x", apiVersion: "2025-05-01") }
            #expect(error?.isNotFound == true)
            #expect(error?.code == "ResourceNotFound")
            #expect("\(error!)".contains("GET \(url)\(lbPath)x?api-version=2025-05-01: 404 ResourceNotFound"))
        }
    }

    @Test("list follows nextLink to the last page")
    func paging() async throws {
        try await ScriptedServer.run({ request, url in
            switch request.query["page"] {
            case nil: ScriptedResponse(200, #"{"value":[{"name":"a"},{"name":"b"}],"nextLink":"\#(url)/items?page=2&api-version=1"}"#)
            case "2": ScriptedResponse(200, #"{"value":[{"name":"c"}],"nextLink":"\#(url)/items?page=3&api-version=1"}"#)
            default: ScriptedResponse(200, #"{"value":[{"name":"d"}]}"#)
            }
        }) { url, requests in
            let items = try await ARMClient.local(url).list("/items", apiVersion: "1")
            #expect(items.compactMap { $0["name"]?.stringValue } == ["a", "b", "c", "d"])
            #expect(requests().count == 3)
        }
    }

    @Test("a nextLink or polling URL on another host is refused: the token stays with ARM")
    func foreignFollowUp() async throws {
        try await ScriptedServer.run({ _, _ in
            ScriptedResponse(200, #"{"value":[],"nextLink":"https://attacker.example/steal"}"#)
        }) { url, requests in
            let error = await #expect(throws: ARMError.self) { try await ARMClient.local(url).list("/items", apiVersion: "1") }
            #expect("\(error!)".contains("attacker.example"))
            #expect(requests().count == 1)
        }
    }

    @Test("PUT as a long-running operation: 201 + Azure-AsyncOperation, polled with Retry-After, then the final GET")
    func asyncOperation() async throws {
        let polls = Counter()
        try await ScriptedServer.run({ request, url in
            switch (request.method, request.path) {
            case ("PUT", _):
                ScriptedResponse(201, headers: ["Azure-AsyncOperation": "\(url)/operations/op1?api-version=2025-05-01", "Retry-After": "0"],
                                 #"{"name":"ilb","properties":{"provisioningState":"Updating"}}"#)
            case ("GET", "/operations/op1"):
                polls.next() < 3 ? ScriptedResponse(200, headers: ["Retry-After": "0"], #"{"status":"InProgress"}"#)
                    : ScriptedResponse(200, #"{"status":"Succeeded"}"#)
            default:
                ScriptedResponse(200, #"{"name":"ilb","properties":{"provisioningState":"Succeeded"}}"#)
            }
        }) { url, requests in
            let result = try await ARMClient.local(url).put(lbPath, apiVersion: "2025-05-01", body: ["location": "westus2"])
            #expect(result["properties"]?["provisioningState"] == "Succeeded")
            #expect(requests().map { "\($0.method) \($0.path)" } == [
                "PUT \(lbPath)", "GET /operations/op1", "GET /operations/op1", "GET /operations/op1", "GET \(lbPath)",
            ])
            #expect(requests().first?.json["location"] as? String == "westus2")
        }
    }

    @Test("a failed operation surfaces ARM's error code and message")
    func failedOperation() async throws {
        try await ScriptedServer.run({ request, url in
            request.method == "PUT"
                ? ScriptedResponse(202, headers: ["Azure-AsyncOperation": "\(url)/operations/op2"], "")
                : ScriptedResponse(200, #"{"status":"Failed","error":{"code":"InvalidResourceReference","message":"Resource /x referenced by resource /y was not found."}}"#)
        }) { url, _ in
            let error = await #expect(throws: ARMError.self) {
                try await ARMClient.local(url).put(lbPath, apiVersion: "2025-05-01", body: [:])
            }
            guard case .operationFailed(_, _, let status, let code, let message) = error else {
                Issue.record("unexpected \(String(describing: error))")
                return
            }
            #expect(status == "Failed" && code == "InvalidResourceReference" && message.contains("/x"))
        }
    }

    @Test("DELETE as a long-running operation through Location: 202 until done")
    func locationPolling() async throws {
        let polls = Counter()
        try await ScriptedServer.run({ request, url in
            if request.method == "DELETE" { return ScriptedResponse(202, headers: ["Location": "\(url)/results/r1"], "") }
            return polls.next() < 2 ? ScriptedResponse(202, headers: ["Location": "\(url)/results/r1"], "") : ScriptedResponse(200, "")
        }) { url, requests in
            try await ARMClient.local(url).delete(lbPath, apiVersion: "2025-05-01")
            #expect(requests().map(\.method) == ["DELETE", "GET", "GET"])
        }
    }

    @Test("408, 500, 502, 503 and 504 are retried with backoff; 400 is not")
    func retries() async throws {
        let calls = Counter()
        try await ScriptedServer.run({ request, _ in
            if request.path == "/bad" { return ScriptedResponse(400, #"{"error":{"code":"InvalidParameter","message":"no"}}"#) }
            switch calls.next() {
            case 1: return ScriptedResponse(500, "")
            case 2: return ScriptedResponse(503, "")
            case 3: return ScriptedResponse(408, "")
            default: return ScriptedResponse(200, #"{"ok":true}"#)
            }
        }) { url, requests in
            let arm = try ARMClient.local(url, retries: 3)
            #expect(try await arm.get("/flaky", apiVersion: "1")["ok"] == true)
            #expect(calls.current == 4)
            let error = await #expect(throws: ARMError.self) { try await arm.get("/bad", apiVersion: "1") }
            #expect(error?.code == "InvalidParameter")
            #expect(requests().filter { $0.path == "/bad" }.count == 1)
            let exhausted = try ARMClient.local(url, retries: 0)
            calls.reset()
            let failure = await #expect(throws: ARMError.self) { try await exhausted.get("/flaky", apiVersion: "1") }
            #expect("\(failure!)".contains("500"))
        }
    }

    @Test("429 holds back further calls of the same class until Retry-After; the other class still goes out")
    func throttlingHoldBack() async throws {
        try await ScriptedServer.run({ request, _ in
            request.method == "GET"
                ? ScriptedResponse(429, headers: ["Retry-After": "120"], #"{"error":{"code":"TooManyRequests","message":"slow down"}}"#)
                : ScriptedResponse(200, #"{"name":"x"}"#)
        }) { url, requests in
            let arm = try ARMClient.local(url)
            let first = await #expect(throws: ARMError.self) { try await arm.get("/a", apiVersion: "1") }
            guard case .throttled(_, _, let retryAfter) = first else { Issue.record("not throttled: \(String(describing: first))"); return }
            #expect(retryAfter == .seconds(120))
            let second = await #expect(throws: ARMError.self) { try await arm.get("/b", apiVersion: "1") }
            #expect("\(second!)".contains("throttled due to too many requests"))
            #expect(requests().filter { $0.method == "GET" }.count == 1)
            _ = try await arm.put("/c", apiVersion: "1", body: [:])
            #expect(requests().filter { $0.method == "PUT" }.count == 1)
        }
    }

    @Test("Retry-After as an HTTP date")
    func retryAfterDate() {
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        #expect(parseRetryAfter("Tue, 14 Nov 2023 22:13:20 GMT", now: now) == .seconds(0))
        #expect(parseRetryAfter("Tue, 14 Nov 2023 22:13:50 GMT", now: now) == .seconds(30))
        #expect(parseRetryAfter("7") == .seconds(7))
        #expect(parseRetryAfter("soon") == nil)
    }

    @Test("the optional token bucket fails fast with 'rate limit reached', per class")
    func tokenBucket() async throws {
        try await ScriptedServer.run({ _, _ in ScriptedResponse(200, "{}") }) { url, requests in
            let limits = RateLimitSettings(readQPS: 0.001, readBucket: 2, writeQPS: 0.001, writeBucket: 1)
            let arm = try ARMClient.local(url, rateLimit: limits)
            _ = try await arm.get("/a", apiVersion: "1")
            _ = try await arm.get("/a", apiVersion: "1")
            let error = await #expect(throws: ARMError.self) { try await arm.get("/a", apiVersion: "1") }
            #expect("\(error!)".hasSuffix("rate limit reached"))
            _ = try await arm.put("/a", apiVersion: "1", body: [:])
            #expect(requests().count == 3)
        }
    }

    @Test("If-Match carries the ETag; 412 is its own error")
    func ifMatch() async throws {
        try await ScriptedServer.run({ request, _ in
            request.headers["if-match"] == "W/\"2\""
                ? ScriptedResponse(200, #"{"etag":"W/\"3\""}"#)
                : ScriptedResponse(412, #"{"error":{"code":"PreconditionFailed","message":"The condition specified using HTTP conditional header(s) is not met."}}"#)
        }) { url, requests in
            let arm = try ARMClient.local(url)
            let updated = try await arm.put(lbPath, apiVersion: "1", body: [:], ifMatch: "W/\"2\"")
            #expect(updated["etag"] == "W/\"3\"")
            let error = await #expect(throws: ARMError.self) { try await arm.put(lbPath, apiVersion: "1", body: [:], ifMatch: "W/\"1\"") }
            guard case .preconditionFailed(_, _, let code, _) = error else { Issue.record("\(String(describing: error))"); return }
            #expect(code == "PreconditionFailed")
            #expect(requests().count == 2)
        }
    }

    @Test("an answer that is not JSON is a malformed error naming the URL")
    func malformed() async throws {
        try await ScriptedServer.run({ _, _ in ScriptedResponse(200, "<html>proxy</html>") }) { url, _ in
            let error = await #expect(throws: ARMError.self) { try await ARMClient.local(url).get("/x", apiVersion: "1") }
            #expect("\(error!)".contains("\(url)/x?api-version=1"))
            #expect("\(error!)".contains("not JSON"))
        }
    }

    @Test("no log line carries the bearer token, at any level")
    func tokenNeverLogged() async throws {
        let lines = LogCapture()
        let logger = Logger(label: "capture") { _ in lines }
        try await ScriptedServer.run({ request, _ in
            request.path == "/throttle" ? ScriptedResponse(429, headers: ["Retry-After": "1"], "") : ScriptedResponse(500, "")
        }) { url, _ in
            let arm = try ARMClient.local(url, retries: 1, logger: logger)
            _ = try? await arm.get("/x", apiVersion: "1")
            _ = try? await arm.get("/throttle", apiVersion: "1")
        }
        #expect(!lines.text.isEmpty)
        #expect(!lines.text.contains("fixed-arm-token"))
    }
}

/// A log handler that keeps every rendered line, metadata included.
final class LogCapture: LogHandler, Sendable {
    private let lines = Mutex<[String]>([])
    var text: String { lines.withLock { $0.joined(separator: "\n") } }

    var metadata: Logger.Metadata {
        get { [:] }
        set {}
    }
    var logLevel: Logger.Level {
        get { .trace }
        set {}
    }
    subscript(metadataKey _: String) -> Logger.Metadata.Value? {
        get { nil }
        set {}
    }

    func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String,
             function: String, line: UInt) {
        lines.withLock { $0.append("\(level) \(message) \(metadata ?? [:])") }
    }
}
