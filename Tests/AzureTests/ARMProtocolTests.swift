import Foundation
import Logging
import Synchronization
import Testing
import TestSupport
@testable import Azure

/// ARM protocol edge cases against a scripted server: the headers the client sends and answers the emulator does not
/// give (408, a link to another host, HTTP-date Retry-After). The protocol itself is tested against the emulator
/// (EmulatorProtocolTests, BadAnswerTests).
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

    func log(event: LogEvent) {
        let error = event.error.map { " error: \($0)" } ?? ""
        lines.withLock { $0.append("\(event.level) \(event.message) \(event.metadata ?? [:])\(error)") }
    }
}
