import Foundation
import Testing
@testable import HTTPClient

/// Runs `body` against a fresh python TLS server with fresh certificates, cleaning both up.
func withTLSServer(_ body: (TLSFixture, String) async throws -> Void) async throws {
    let fixture = try await onOwnThread { try TLSFixture.make() }
    defer { fixture.remove() }
    let server = try await onOwnThread { try TLSTestServer(fixture) }
    defer { server.stop() }
    try await body(fixture, "https://127.0.0.1:\(server.port)")
}

@Suite("TLS")
struct TLSTests {
    @Test("a CA bundle file verifies the server")
    func caFile() async throws {
        try await withTLSServer { fixture, base in
            let client = try makeClient { $0.tls = TLSConfiguration(trustRoots: .file(fixture.caCertificate)) }
            let response = try await client.execute(HTTPRequest(url: base + "/ca-file"))
            #expect(response.status == 200)
            #expect(response.json["path"] as? String == "/ca-file")
            #expect(response.json["client"] as? String == "none")
        }
    }

    @Test("inline CA PEM data verifies the server")
    func inlineCA() async throws {
        try await withTLSServer { fixture, base in
            let pem = try fixture.bytes(fixture.caCertificate)
            let client = try makeClient { $0.tls = TLSConfiguration(trustRoots: .pem(pem)) }
            let response = try await client.execute(HTTPRequest(url: base + "/inline"))
            #expect(response.json["path"] as? String == "/inline")
        }
    }

    @Test("mutual TLS with client certificate and key files")
    func mutualTLSFiles() async throws {
        try await withTLSServer { fixture, base in
            let client = try makeClient {
                $0.tls = TLSConfiguration(
                    trustRoots: .file(fixture.caCertificate),
                    clientIdentity: .files(certificate: fixture.clientCertificate, key: fixture.clientKey)
                )
            }
            let response = try await client.execute(HTTPRequest(url: base + "/mtls"))
            #expect(response.json["client"] as? String == "egw-client")
        }
    }

    @Test("mutual TLS with inline client certificate and key")
    func mutualTLSInline() async throws {
        try await withTLSServer { fixture, base in
            let client = try makeClient {
                $0.tls = TLSConfiguration(
                    trustRoots: .pem(try fixture.bytes(fixture.caCertificate)),
                    clientIdentity: .pem(
                        certificate: try fixture.bytes(fixture.clientCertificate),
                        key: try fixture.bytes(fixture.clientKey)
                    )
                )
            }
            let response = try await client.execute(HTTPRequest(url: base + "/mtls-inline"))
            #expect(response.json["client"] as? String == "egw-client")
        }
    }

    @Test("a server certificate from another CA is a tls error naming the URL", arguments: [false, true])
    func wrongCA(inline: Bool) async throws {
        try await withTLSServer { fixture, base in
            let roots: TLSConfiguration.TrustRoots = inline
                ? .pem(try fixture.bytes(fixture.otherCACertificate))
                : .file(fixture.otherCACertificate)
            let client = try makeClient { $0.tls = TLSConfiguration(trustRoots: roots) }
            let url = base + "/wrong-ca"
            let error = await failure { try await client.execute(HTTPRequest(url: url)) }
            guard case .tls(let named, let detail) = error else {
                Issue.record("expected tls, got \(String(describing: error))")
                return
            }
            #expect(named == url)
            #expect(!detail.isEmpty)
        }
    }

    @Test("the system trust store does not know the test CA")
    func systemRoots() async throws {
        try await withTLSServer { _, base in
            let client = try makeClient()
            let error = await failure { try await client.execute(HTTPRequest(url: base + "/system")) }
            guard case .tls = error else {
                Issue.record("expected tls, got \(String(describing: error))")
                return
            }
        }
    }

    @Test("insecureSkipVerify accepts an untrusted server")
    func insecureSkipVerify() async throws {
        try await withTLSServer { fixture, base in
            let client = try makeClient {
                $0.tls = TLSConfiguration(trustRoots: .file(fixture.otherCACertificate), insecureSkipVerify: true)
            }
            let response = try await client.execute(HTTPRequest(url: base + "/insecure"))
            #expect(response.status == 200)
        }
    }

    @Test("missing CA, certificate or key files are fileNotReadable naming the file")
    func missingFiles() async throws {
        let fixture = try await onOwnThread { try TLSFixture.make() }
        defer { fixture.remove() }
        let missing = fixture.path("missing.pem")
        let configurations = [
            TLSConfiguration(trustRoots: .file(missing)),
            TLSConfiguration(clientIdentity: .files(certificate: missing, key: fixture.clientKey)),
            TLSConfiguration(clientIdentity: .files(certificate: fixture.clientCertificate, key: missing)),
        ]
        for tls in configurations {
            let client = try makeClient { $0.tls = tls }
            let error = await failure { try await client.execute(HTTPRequest(url: "https://127.0.0.1:1/")) }
            guard case .fileNotReadable(let path, _) = error else {
                Issue.record("expected fileNotReadable, got \(String(describing: error))")
                continue
            }
            #expect(path == missing)
        }
    }

    @Test("garbage inline PEM is a tls error, not a crash")
    func garbagePEM() async throws {
        try await withTLSServer { fixture, base in
            let client = try makeClient {
                $0.tls = TLSConfiguration(
                    trustRoots: .file(fixture.caCertificate),
                    clientIdentity: .pem(certificate: Array("not a certificate".utf8), key: Array("nor a key".utf8))
                )
            }
            let error = await failure { try await client.execute(HTTPRequest(url: base + "/garbage")) }
            guard case .tls = error else {
                Issue.record("expected tls, got \(String(describing: error))")
                return
            }
        }
    }
}
