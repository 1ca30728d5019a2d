import Foundation
import Testing
@testable import HTTPClient

@Suite("Connections, timeouts and cancellation")
struct ConnectionTests {
    @Test("requests over a unix-domain socket, plain and streamed")
    func unixSocket() async throws {
        let directory = try makeTemporaryDirectory("unix")
        defer { try? FileManager.default.removeItem(at: directory) }
        let socketPath = directory.appendingPathComponent("api.sock").path
        try await TestHTTPServer.run(unixSocket: socketPath) { _, _ in
            let client = try makeClient { $0.unixSocketPath = socketPath }
            let response = try await client.execute(HTTPRequest(
                method: .post, url: "http://kube.local/echo", body: Array("over the socket".utf8)
            ))
            #expect(response.status == 200)
            #expect(response.json["body"] as? String == "over the socket")
            #expect(response.json["authority"] as? String == "kube.local")
            let stream = try await client.stream(HTTPRequest(url: "http://kube.local/stream?lines=3"))
            var lines = 0
            for try await _ in stream.body.lines { lines += 1 }
            #expect(lines == 3)
        }
    }

    @Test("a refused connection is couldNotConnect naming the URL")
    func connectionRefused() async throws {
        let refusing = try RefusingPort()
        let client = try makeClient()
        let url = "http://127.0.0.1:\(refusing.port)/api"
        let error = await failure { try await client.execute(HTTPRequest(url: url)) }
        guard case .couldNotConnect(let named, let detail) = error else {
            Issue.record("expected couldNotConnect, got \(String(describing: error))")
            return
        }
        #expect(named == url)
        #expect(detail.contains("\(refusing.port)"))
        #expect(error!.description.contains(url))
    }

    @Test("a missing unix socket is couldNotConnect")
    func missingUnixSocket() async throws {
        let client = try makeClient { $0.unixSocketPath = "/nonexistent/egw-test.sock" }
        let error = await failure { try await client.execute(HTTPRequest(url: "http://localhost/x")) }
        guard case .couldNotConnect(let url, _) = error else {
            Issue.record("expected couldNotConnect, got \(String(describing: error))")
            return
        }
        #expect(url == "http://localhost/x")
    }

    @Test("a server that never answers hits the total timeout, which the error names")
    func totalTimeout() async throws {
        let server = try RawTCPServer(.silent)
        defer { server.stop() }
        let client = try makeClient { $0.timeouts = HTTPTimeouts(connect: .seconds(5), total: .milliseconds(500)) }
        let url = "http://127.0.0.1:\(server.port)/slow"
        let error = try await withTimeout { await failure { try await client.execute(HTTPRequest(url: url)) } }
        guard case .timedOut(let named, let after, _) = error else {
            Issue.record("expected timedOut, got \(String(describing: error))")
            return
        }
        #expect(named == url)
        #expect(after == .milliseconds(500))
    }

    @Test("cancelling the calling task aborts the transfer at once; the server sees the connection close")
    func cancellationAborts() async throws {
        let server = try RawTCPServer(.silent)
        defer { server.stop() }
        let client = try makeClient { $0.timeouts = HTTPTimeouts(total: nil) }
        let url = "http://127.0.0.1:\(server.port)/never"
        let call = Task { await failure { try await client.execute(HTTPRequest(url: url)) } }
        #expect(await eventually { server.requestHeads.count == 1 })
        call.cancel()
        let error = try await withTimeout(.seconds(30), "the cancelled call to return") { await call.value }
        #expect(error == .cancelled(url: url))
        #expect(await eventually { server.closedByClient == 1 })
    }

    @Test("a task cancelled before the request starts never connects")
    func cancelledBeforeStart() async throws {
        let server = try RawTCPServer(.silent)
        defer { server.stop() }
        let client = try makeClient()
        let url = "http://127.0.0.1:\(server.port)/never"
        let call = Task {
            while !Task.isCancelled { await Task.yield() }
            return await failure { try await client.execute(HTTPRequest(url: url)) }
        }
        call.cancel()
        #expect(await call.value == .cancelled(url: url))
        let stream = Task {
            while !Task.isCancelled { await Task.yield() }
            return await failure { try await client.stream(HTTPRequest(url: url)) }
        }
        stream.cancel()
        #expect(await stream.value == .cancelled(url: url))
        #expect(server.accepted == 0)
    }

    @Test("a streaming body keeps its client alive")
    func bodyKeepsClientAlive() async throws {
        try await TestHTTPServer.run { port, _ in
            var client: HTTPClient? = try makeClient()
            let url = "http://127.0.0.1:\(port)/endless"
            let response = try await client!.stream(HTTPRequest(url: url))
            // The body keeps the client alive: dropping our reference must not end the stream.
            client = nil
            var iterator = response.body.lines.makeAsyncIterator()
            for _ in 0..<3 { #expect(try await iterator.next() != nil) }
        }
    }
}
