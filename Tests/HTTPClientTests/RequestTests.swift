import Foundation
import Testing
@testable import HTTPClient

/// A client that ignores the environment's proxies, as loopback tests must.
func makeClient(_ configure: (inout HTTPClient.Configuration) throws -> Void = { _ in }) throws -> HTTPClient {
    var configuration = HTTPClient.Configuration(proxy: .none)
    try configure(&configuration)
    return try HTTPClient(configuration: configuration)
}

@Suite("Requests and responses")
struct RequestTests {
    @Test("every method carries its body and headers; response headers are case-insensitive and multi-valued")
    func methodsWithBodiesAndHeaders() async throws {
        try await TestHTTPServer.run { port, _ in
            let client = try makeClient()
            for method in [HTTPMethod.get, .post, .put, .patch, .delete] {
                let body: [UInt8]? = method == .get ? nil : Array("{\"verb\":\"\(method)\"}".utf8)
                let response = try await client.execute(HTTPRequest(
                    method: method,
                    url: "http://127.0.0.1:\(port)/echo?verb=\(method)",
                    headers: ["X-Request-Marker": "marker-\(method)", "Content-Type": "application/merge-patch+json"],
                    body: body
                ))
                #expect(response.status == 200)
                #expect(response.headers["content-type"] == "application/json")
                #expect(response.headers["CONTENT-TYPE"] == "application/json")
                #expect(response.headers.values(for: "x-multi") == ["one", "two"])
                let echo = response.json
                #expect(echo["method"] as? String == method.rawValue)
                #expect(echo["path"] as? String == "/echo")
                #expect(echo["query"] as? String == "verb=\(method)")
                let headers = echo["headers"] as? [String: [String]] ?? [:]
                #expect(headers["x-request-marker"] == ["marker-\(method)"])
                #expect(headers["content-type"] == ["application/merge-patch+json"])
                #expect(headers["expect"] == nil)
                #expect(echo["body"] as? String == body.map { String(decoding: $0, as: UTF8.self) } ?? "")
            }
        }
    }

    @Test("a body without Content-Type is sent without one; POST without a body sends Content-Length: 0")
    func defaultsLibcurlWouldAdd() async throws {
        try await TestHTTPServer.run { port, _ in
            let client = try makeClient()
            let binary: [UInt8] = [0, 1, 2, 0xFF, 0x0A, 0]
            let withBody = try await client.execute(HTTPRequest(method: .put, url: "http://127.0.0.1:\(port)/echo", body: binary))
            var headers = withBody.json["headers"] as? [String: [String]] ?? [:]
            #expect(headers["content-type"] == nil)
            #expect(headers["content-length"] == ["6"])
            let empty = try await client.execute(HTTPRequest(method: .post, url: "http://127.0.0.1:\(port)/echo"))
            headers = empty.json["headers"] as? [String: [String]] ?? [:]
            #expect(headers["content-length"] == ["0"])
        }
    }

    @Test("404 and 500 are responses, not errors")
    func errorStatusesAreResponses() async throws {
        try await TestHTTPServer.run { port, _ in
            let client = try makeClient()
            for code in [404, 500, 409, 429] {
                let response = try await client.execute(HTTPRequest(url: "http://127.0.0.1:\(port)/status/\(code)"))
                #expect(response.status == code)
                #expect(response.text == "status \(code)")
            }
        }
    }

    @Test("100 concurrent requests on one client")
    func hundredConcurrentRequests() async throws {
        try await TestHTTPServer.run { port, _ in
            let client = try makeClient()
            let answers = try await withThrowingTaskGroup(of: (Int, String).self) { group in
                for index in 0..<100 {
                    group.addTask {
                        let response = try await client.execute(HTTPRequest(
                            method: .post, url: "http://127.0.0.1:\(port)/echo?i=\(index)", body: Array("body-\(index)".utf8)
                        ))
                        return (index, response.json["body"] as? String ?? "")
                    }
                }
                var answers: [Int: String] = [:]
                for try await (index, body) in group { answers[index] = body }
                return answers
            }
            #expect(answers.count == 100)
            #expect(answers.allSatisfy { $0.value == "body-\($0.key)" })
        }
    }

    @Test("a body over the limit is responseTooLarge naming the URL")
    func responseTooLarge() async throws {
        try await TestHTTPServer.run { port, _ in
            let client = try makeClient { $0.maximumResponseSize = 1000 }
            let url = "http://127.0.0.1:\(port)/bytes?count=100000"
            let error = await failure { try await client.execute(HTTPRequest(url: url)) }
            #expect(error == .responseTooLarge(url: url, limit: 1000))
            // The client is still usable afterwards.
            let small = try await client.execute(HTTPRequest(url: "http://127.0.0.1:\(port)/bytes?count=10"))
            #expect(small.body == (0..<10).map { UInt8($0) })
        }
    }

    @Test("a malformed or non-HTTP URL is invalidURL naming it, never a crash", arguments: [
        "not a url", "ftp://127.0.0.1/file", "file:///etc/passwd", "http://", "http://127.0.0.1/a b", "",
        "http://127.0.0.1:99999/", "http://[::1/",
    ])
    func invalidURLs(url: String) async throws {
        let client = try makeClient()
        let error = await failure { try await client.execute(HTTPRequest(url: url)) }
        guard case .invalidURL(let named, _) = error else {
            Issue.record("expected invalidURL for \"\(url)\", got \(String(describing: error))")
            return
        }
        #expect(named == url)
    }

    @Test("malformed methods and headers are invalidRequest")
    func invalidRequests() async throws {
        let client = try makeClient()
        let url = "http://127.0.0.1:1/x"
        let requests = [
            HTTPRequest(method: "GET /x HTTP/1.1\r\nHost: evil", url: url),
            HTTPRequest(method: "", url: url),
            HTTPRequest(url: url, headers: ["X-Injected": "a\r\nX-Other: b"]),
            HTTPRequest(url: url, headers: ["Bad Name": "value"]),
        ]
        for request in requests {
            let error = await failure { try await client.execute(request) }
            guard case .invalidRequest(let named, _) = error else {
                Issue.record("expected invalidRequest, got \(String(describing: error))")
                continue
            }
            #expect(named == url)
        }
    }

    @Test("header fields: lookup ignores case, keeps order and duplicates, redacts credentials")
    func headers() {
        var headers: HTTPHeaders = ["Warning": "299 - \"first\"", "Content-Type": "text/plain"]
        headers.add(name: "warning", value: "299 - \"second\"")
        #expect(headers.values(for: "WARNING") == ["299 - \"first\"", "299 - \"second\""])
        #expect(headers["content-type"] == "text/plain")
        headers["WARNING"] = "one"
        #expect(headers.values(for: "warning") == ["one"])
        #expect(headers.map(\.name) == ["Warning", "Content-Type"])
        headers["Warning"] = nil
        #expect(!headers.contains(name: "warning"))
        headers["Authorization"] = "Bearer secret-token"
        #expect(!headers.description.contains("secret-token"))
        #expect(headers.description.contains("Content-Type: text/plain"))
    }
}
