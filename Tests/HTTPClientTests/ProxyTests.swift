import Foundation
import Testing
@testable import HTTPClient

@Suite("Proxies from the environment")
struct ProxyTests {
    @Test("variables: upper case wins, no fallback between schemes, scheme-less proxies are http")
    func environmentVariables() {
        let proxy = ProxyConfiguration(environment: [
            "HTTPS_PROXY": "proxy.corp:3128", "https_proxy": "http://ignored:1",
            "http_proxy": "http://plain:8080", "no_proxy": " .svc , 10.0.0.0/8 ",
        ])
        #expect(proxy.proxy(scheme: "https", host: "api.example.com", port: 443) == "http://proxy.corp:3128")
        #expect(proxy.proxy(scheme: "http", host: "api.example.com", port: 80) == "http://plain:8080")
        #expect(proxy.noProxy == [".svc", "10.0.0.0/8"])
        let httpsOnly = ProxyConfiguration(environment: ["HTTPS_PROXY": "http://p:1"])
        #expect(httpsOnly.proxy(scheme: "http", host: "api.example.com", port: 80) == nil)
        #expect(ProxyConfiguration(environment: ["HTTPS_PROXY": ""]).proxy(scheme: "https", host: "x", port: 443) == nil)
    }

    @Test("NO_PROXY matching", arguments: [
        // (NO_PROXY, host, port, proxied)
        ("", "api.example.com", 443, true),
        ("*", "api.example.com", 443, false),
        ("example.com", "example.com", 443, false),
        ("example.com", "api.example.com", 443, false),
        ("example.com", "notexample.com", 443, true),
        (".example.com", "example.com", 443, true),
        (".example.com", "api.example.com", 443, false),
        ("*.example.com", "api.example.com", 443, false),
        ("EXAMPLE.com", "Api.Example.COM", 443, false),
        ("example.com:8443", "api.example.com", 443, true),
        ("example.com:8443", "api.example.com", 8443, false),
        ("10.0.0.0/8", "10.1.2.3", 443, false),
        ("10.0.0.0/8", "11.1.2.3", 443, true),
        ("10.0.0.0/8", "ten.example.com", 443, true),
        ("192.168.1.10", "192.168.1.10", 443, false),
        ("192.168.1.10", "192.168.1.11", 443, true),
        ("fd00::/8", "[fd00::1]", 443, false),
        ("[fd00::1]:443", "[fd00::1]", 443, false),
        ("fd00::1", "[fd00::2]", 443, true),
        ("svc,cluster.local", "kubernetes.default.svc", 443, false),
        ("", "localhost", 443, false),
        ("", "127.0.0.1", 443, false),
        ("", "127.8.9.1", 443, false),
        ("", "[::1]", 443, false),
    ])
    func noProxyMatching(noProxy: String, host: String, port: Int, proxied: Bool) {
        let proxy = ProxyConfiguration(environment: ["HTTPS_PROXY": "http://proxy:3128", "NO_PROXY": noProxy])
        #expect((proxy.proxy(scheme: "https", host: host, port: port) != nil) == proxied)
    }

    // 192.0.2.1 (TEST-NET-1) is never reached: through a proxy, libcurl does not connect to it;
    // directly, the connection fails one way or another.

    @Test("an http URL goes to HTTP_PROXY in absolute form")
    func httpThroughProxy() async throws {
        let proxy = try RawTCPServer(.reply("HTTP/1.1 200 OK\r\nContent-Length: 9\r\nConnection: close\r\n\r\nvia proxy"))
        defer { proxy.stop() }
        let client = try makeClient { $0.proxy = ProxyConfiguration(environment: ["HTTP_PROXY": "127.0.0.1:\(proxy.port)"]) }
        let response = try await client.execute(HTTPRequest(url: "http://192.0.2.1:8080/api/v1/pods?watch=1"))
        #expect(response.text == "via proxy")
        #expect(proxy.requestHeads.first?.hasPrefix("GET http://192.0.2.1:8080/api/v1/pods?watch=1 HTTP/1.1") == true)
    }

    @Test("an https URL tunnels through HTTPS_PROXY; a refused tunnel is a proxy error")
    func httpsThroughProxy() async throws {
        let proxy = try RawTCPServer(.reply("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"))
        defer { proxy.stop() }
        let client = try makeClient { $0.proxy = ProxyConfiguration(environment: ["HTTPS_PROXY": "http://127.0.0.1:\(proxy.port)"]) }
        let url = "https://192.0.2.1/apis"
        let error = await failure { try await client.execute(HTTPRequest(url: url)) }
        #expect(proxy.requestHeads.first?.hasPrefix("CONNECT 192.0.2.1:443 HTTP/1.1") == true)
        guard case .proxy(let named, _) = error else {
            Issue.record("expected proxy, got \(String(describing: error))")
            return
        }
        #expect(named == url)
    }

    @Test("a host in NO_PROXY bypasses the proxy")
    func noProxyBypasses() async throws {
        let proxy = try RawTCPServer(.reply("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"))
        defer { proxy.stop() }
        let client = try makeClient {
            $0.proxy = ProxyConfiguration(environment: ["HTTP_PROXY": "http://127.0.0.1:\(proxy.port)", "NO_PROXY": "192.0.2.0/24"])
            $0.timeouts = HTTPTimeouts(connect: .milliseconds(300))
        }
        let error = try await withTimeout { await failure { try await client.execute(HTTPRequest(url: "http://192.0.2.1:8080/")) } }
        #expect(error != nil)
        #expect(proxy.accepted == 0)
    }

    @Test("loopback targets never use the proxy")
    func loopbackBypasses() async throws {
        let proxy = try RawTCPServer(.reply("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"))
        defer { proxy.stop() }
        try await TestHTTPServer.run { port, _ in
            let client = try makeClient { $0.proxy = ProxyConfiguration(environment: ["HTTP_PROXY": "http://127.0.0.1:\(proxy.port)"]) }
            let response = try await client.execute(HTTPRequest(url: "http://127.0.0.1:\(port)/echo"))
            #expect(response.status == 200)
            #expect(proxy.accepted == 0)
        }
    }
}
