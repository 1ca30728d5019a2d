import Foundation
import Testing
@testable import HTTPClient

@Suite("Streaming response bodies")
struct StreamingTests {
    @Test("a slow chunked response arrives line by line, in order")
    func slowChunkedLines() async throws {
        try await TestHTTPServer.run { port, _ in
            let client = try makeClient()
            try await withTimeout {
                let response = try await client.stream(HTTPRequest(url: "http://127.0.0.1:\(port)/stream?lines=25&delayMs=20"))
                #expect(response.status == 200)
                #expect(response.headers["content-type"] == "application/json")
                var received: [String] = []
                for try await line in response.body.lines {
                    received.append(String(decoding: line, as: UTF8.self))
                }
                #expect(received == (0..<25).map { "{\"n\":\($0)}" })
            }
        }
    }

    @Test("status and headers arrive before any body byte is sent")
    func headBeforeBody() async throws {
        try await TestHTTPServer.run { port, log in
            let client = try makeClient()
            try await withTimeout {
                // The server holds the body back until the gate opens, which happens only once the
                // client has the head: `stream` must return without waiting for the body.
                let response = try await client.stream(HTTPRequest(url: "http://127.0.0.1:\(port)/gated"))
                #expect(response.status == 200)
                #expect(response.headers["content-type"] == "text/plain")
                log.openGate()
                var lines: [String] = []
                for try await line in response.body.lines { lines.append(String(decoding: line, as: UTF8.self)) }
                #expect(lines == ["released"])
            }
        }
    }

    @Test("lines split on LF and CRLF, keep empty lines, and yield a last unterminated line")
    func lineSplitting() async throws {
        try await TestHTTPServer.run { port, _ in
            let client = try makeClient()
            let response = try await client.stream(HTTPRequest(url: "http://127.0.0.1:\(port)/text"))
            var lines: [String] = []
            for try await line in response.body.lines { lines.append(String(decoding: line, as: UTF8.self)) }
            #expect(lines == ["a", "b", "", "c"])
        }
    }

    @Test("a lagging consumer pauses the transfer; no byte is lost or reordered")
    func backPressure() async throws {
        let bufferSize = 64 << 10
        // Far more than fits in flight: loopback TCP buffers autotune up to 32 MiB here.
        let total = 256 << 20
        // A raw server: it counts what the kernel accepted, where Hummingbird's writer counts what it
        // queued, which under load can be the whole body before the event loop notices a full socket.
        let server = try RawTCPServer(.bytes(count: total))
        defer { server.stop() }
        let client = try makeClient { $0.streamBufferSize = bufferSize }
        let url = "http://127.0.0.1:\(server.port)/bytes"
        try await withTimeout(.seconds(120)) {
            let response = try await client.stream(HTTPRequest(url: url))
            var iterator = response.body.makeAsyncIterator()
            var offset = 0
            var intact = true
            let pattern = (0..<(251 * 1024)).map { UInt8($0 % 251) }
            func check(_ chunk: [UInt8]) {
                var done = 0
                while done < chunk.count {
                    let phase = (offset + done) % 251
                    let length = min(chunk.count - done, pattern.count - phase)
                    let same = chunk.withUnsafeBytes { received in
                        pattern.withUnsafeBytes { expected in
                            memcmp(received.baseAddress! + done, expected.baseAddress! + phase, length) == 0
                        }
                    }
                    if !same { intact = false }
                    done += length
                }
                offset += chunk.count
            }
            let first = try #require(try await iterator.next())
            check(first)
            // The consumer lags. Once the server finds the connection full, the transfer must be
            // paused short of the end, and libcurl, told to pause, hands over nothing more.
            #expect(await eventually(.seconds(60)) { server.sendStalled || server.bytesSent == total })
            #expect(server.bytesSent < total)
            #expect(response.body.stream.peakBufferedBytes <= bufferSize + (1 << 20))
            while let chunk = try await iterator.next() { check(chunk) }
            #expect(offset == total)
            #expect(intact)
            #expect(response.body.stream.peakBufferedBytes <= bufferSize + (1 << 20))
        }
    }

    @Test("leaving a stream early aborts the transfer; the server sees the connection close")
    func earlyExitClosesConnection() async throws {
        try await TestHTTPServer.run { port, log in
            let client = try makeClient()
            try await withTimeout {
                do {
                    let response = try await client.stream(HTTPRequest(url: "http://127.0.0.1:\(port)/endless"))
                    var count = 0
                    for try await _ in response.body.lines {
                        count += 1
                        if count == 3 { break }
                    }
                }
                // The response and its iterator are gone: the transfer must be aborted.
                #expect(await eventually { log.streamsAborted == 1 })
            }
        }
    }

    @Test("cancelling the task reading a stream ends it with cancelled and closes the connection")
    func cancelReadingTask() async throws {
        try await TestHTTPServer.run { port, log in
            let client = try makeClient()
            let url = "http://127.0.0.1:\(port)/endless"
            let response = try await client.stream(HTTPRequest(url: url))
            let reader = Task {
                await failure {
                    for try await _ in response.body.lines {}
                }
            }
            reader.cancel()
            let error = try await withTimeout { await reader.value }
            #expect(error == .cancelled(url: url))
            #expect(await eventually { log.streamsAborted == 1 })
            // Reading again reports the same end.
            let again = await failure { try await response.body.collect(upTo: 1 << 20) }
            #expect(again == .cancelled(url: url))
        }
    }

    @Test("a stream idle for longer than its idle limit times out naming the limit")
    func idleTimeout() async throws {
        let server = try RawTCPServer(.reply("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nhello\n\r\n"))
        defer { server.stop() }
        let client = try makeClient()
        let url = "http://127.0.0.1:\(server.port)/watch"
        try await withTimeout {
            let response = try await client.stream(HTTPRequest(url: url, timeouts: HTTPTimeouts(total: nil, idle: .seconds(1))))
            var iterator = response.body.lines.makeAsyncIterator()
            #expect(try await iterator.next() == Array("hello".utf8))
            let error = await failure { try await iterator.next() }
            guard case .timedOut(let named, let after, _) = error else {
                Issue.record("expected timedOut, got \(String(describing: error))")
                return
            }
            #expect(named == url)
            #expect(after == .seconds(1))
        }
    }

    @Test("a line longer than the maximum is responseTooLarge")
    func lineTooLong() async throws {
        try await TestHTTPServer.run { port, _ in
            let client = try makeClient()
            let url = "http://127.0.0.1:\(port)/bytes?count=200000"
            let response = try await client.stream(HTTPRequest(url: url))
            // The byte pattern contains 10 (newline) every 251 bytes; ask for shorter lines than that.
            let error = await failure {
                for try await _ in response.body.lines(maximumLength: 100) {}
            }
            #expect(error == .responseTooLarge(url: url, limit: 100))
        }
    }
}
