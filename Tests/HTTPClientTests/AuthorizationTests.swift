import Foundation
import Testing
@testable import HTTPClient

@Suite("Bearer tokens")
struct AuthorizationTests {
    /// The Authorization header values the echo server saw.
    private func seenAuthorization(_ client: HTTPClient, port: Int, headers: HTTPHeaders = [:]) async throws -> [String] {
        let response = try await client.execute(HTTPRequest(url: "http://127.0.0.1:\(port)/echo", headers: headers))
        return (response.json["headers"] as? [String: [String]])?["authorization"] ?? []
    }

    @Test("a token file rotated between two requests: the server sees the new token")
    func tokenFileRotation() async throws {
        let directory = try makeTemporaryDirectory("token")
        defer { try? FileManager.default.removeItem(at: directory) }
        let tokenPath = directory.appendingPathComponent("token").path
        try "first-token\n".write(toFile: tokenPath, atomically: false, encoding: .utf8)
        try await TestHTTPServer.run { port, _ in
            let client = try makeClient { $0.authorization = .bearerTokenFile(tokenPath) }
            #expect(try await seenAuthorization(client, port: port) == ["Bearer first-token"])
            #expect(try await seenAuthorization(client, port: port) == ["Bearer first-token"])

            // Kubelet's way: a new file renamed over the old one (a new inode).
            try "second-token".write(toFile: tokenPath, atomically: true, encoding: .utf8)
            #expect(try await seenAuthorization(client, port: port) == ["Bearer second-token"])

            // An in-place rewrite of a different length.
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: tokenPath))
            try handle.truncate(atOffset: 0)
            try handle.write(contentsOf: Data("third-token-longer".utf8))
            try handle.close()
            #expect(try await seenAuthorization(client, port: port) == ["Bearer third-token-longer"])
        }
    }

    @Test("a missing or empty token file is fileNotReadable naming the file")
    func badTokenFiles() async throws {
        let directory = try makeTemporaryDirectory("token-bad")
        defer { try? FileManager.default.removeItem(at: directory) }
        let missing = directory.appendingPathComponent("missing").path
        let empty = directory.appendingPathComponent("empty").path
        try "  \n".write(toFile: empty, atomically: true, encoding: .utf8)
        for path in [missing, empty, directory.path] {
            let client = try makeClient { $0.authorization = .bearerTokenFile(path) }
            let error = await failure { try await client.execute(HTTPRequest(url: "http://127.0.0.1:1/")) }
            guard case .fileNotReadable(let named, _) = error else {
                Issue.record("expected fileNotReadable, got \(String(describing: error))")
                continue
            }
            #expect(named == path)
        }
    }

    @Test("fixed and provided tokens; a request's own Authorization header wins")
    func otherTokenSources() async throws {
        try await TestHTTPServer.run { port, _ in
            let fixed = try makeClient { $0.authorization = .bearer("fixed-token") }
            #expect(try await seenAuthorization(fixed, port: port) == ["Bearer fixed-token"])
            #expect(try await seenAuthorization(fixed, port: port, headers: ["Authorization": "Bearer own"]) == ["Bearer own"])

            let provided = try makeClient { $0.authorization = .bearerTokenProvider { "provided-token" } }
            #expect(try await seenAuthorization(provided, port: port) == ["Bearer provided-token"])

            struct ProviderFailed: Error {}
            let failing = try makeClient { $0.authorization = .bearerTokenProvider { throw ProviderFailed() } }
            let error = await failure { try await seenAuthorization(failing, port: port) }
            guard case .credentials = error else {
                Issue.record("expected credentials, got \(String(describing: error))")
                return
            }
        }
    }

    @Test("descriptions never show a token or a private key")
    func tokensAreNotShown() {
        #expect(!Authorization.bearer("s3cr3t").description.contains("s3cr3t"))
        let configuration = HTTPClient.Configuration(
            tls: TLSConfiguration(clientIdentity: .pem(certificate: Array("CERT".utf8), key: Array("PRIVATE".utf8))),
            authorization: .bearer("s3cr3t"),
            proxy: .none
        )
        let shown = String(describing: configuration)
        #expect(!shown.contains("s3cr3t"))
        #expect(!shown.contains(String(describing: Array("PRIVATE".utf8))))
    }
}
