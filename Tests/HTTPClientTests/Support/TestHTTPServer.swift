import Foundation
import Hummingbird
import Logging
import Synchronization

typealias Field = HTTPFields.Element

/// What the test server observed, for assertions made from the client's side.
final class ServerLog: Sendable {
    private struct State {
        var streamsAborted = 0
        var gateOpen = false
        var gateWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    var streamsAborted: Int { state.withLock { $0.streamsAborted } }

    func streamAborted() { state.withLock { $0.streamsAborted += 1 } }

    /// Lets `/gated` send its body.
    func openGate() {
        let waiters = state.withLock { state in
            state.gateOpen = true
            defer { state.gateWaiters = [] }
            return state.gateWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func waitForGate() async {
        await withCheckedContinuation { continuation in
            let open = state.withLock { state in
                if !state.gateOpen { state.gateWaiters.append(continuation) }
                return state.gateOpen
            }
            if open { continuation.resume() }
        }
    }
}

/// A Hummingbird server on loopback TCP or a unix socket with the routes the tests need:
///
/// - `/echo` (any method): JSON of method, path, query, headers (lower-case names, all values) and
///   body; answers with two `X-Multi` headers.
/// - `/status/{code}`: that status, body `status {code}`.
/// - `/stream?lines=N&delayMs=D`: N lines of JSON, one every D ms, chunked.
/// - `/gated`: the head at once, one line once the test opens the gate.
/// - `/bytes?count=N`: N bytes of the pattern `i % 251`, written 64 KiB at a time.
/// - `/endless`: a line every 10 ms until the client goes away, which the log records.
/// - `/text`: `a\r\nb\n\nc` (mixed line ends, no final newline).
enum TestHTTPServer {
    static func run<T: Sendable>(
        unixSocket: String? = nil,
        _ body: @escaping @Sendable (_ port: Int, _ log: ServerLog) async throws -> T
    ) async throws -> T {
        let log = ServerLog()
        let router = makeRouter(log: log)
        let (portStream, portContinuation) = AsyncStream<Int>.makeStream()
        let address: BindAddress = unixSocket.map { .unixDomainSocket(path: $0) } ?? .hostname("127.0.0.1", port: 0)
        var logger = Logger(label: "test-http-server")
        logger.logLevel = .critical
        let app = Application(
            router: router,
            configuration: .init(address: address),
            onServerRunning: { channel in
                portContinuation.yield(channel.localAddress?.port ?? 0)
                portContinuation.finish()
            },
            logger: logger
        )
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await app.run()
                return nil
            }
            var ports = portStream.makeAsyncIterator()
            guard let port = await ports.next() else { throw TestTimeout(what: "the test server to start") }
            defer { group.cancelAll() }
            return try await body(port, log)
        }
    }

    private static func makeRouter(log: ServerLog) -> Router<BasicRequestContext> {
        let router = Router()
        for method in [HTTPRequest.Method.get, .post, .put, .patch, .delete] {
            router.on("/echo", method: method) { request, _ in try await echo(request) }
        }
        router.get("/status/{code}") { _, context in
            let code = try context.parameters.require("code", as: Int.self)
            return Response(
                status: .init(code: code),
                headers: [.contentType: "text/plain"],
                body: .init(byteBuffer: ByteBuffer(string: "status \(code)"))
            )
        }
        router.get("/stream") { request, _ in
            let lines = request.uri.queryParameters.get("lines", as: Int.self) ?? 10
            let delay = request.uri.queryParameters.get("delayMs", as: Int.self) ?? 0
            return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody { writer in
                for index in 0..<lines {
                    try await writer.write(ByteBuffer(string: "{\"n\":\(index)}\n"))
                    if delay > 0 { try await Task.sleep(for: .milliseconds(delay)) }
                }
                try await writer.finish(nil)
            })
        }
        router.get("/gated") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain"], body: ResponseBody { writer in
                await log.waitForGate()
                try await writer.write(ByteBuffer(string: "released\n"))
                try await writer.finish(nil)
            })
        }
        router.get("/bytes") { request, _ in
            let count = request.uri.queryParameters.get("count", as: Int.self) ?? 0
            // Chunks are a whole number of pattern periods, so one buffer serves every write.
            let chunk = ByteBuffer(bytes: (0..<(251 * 256)).map { UInt8($0 % 251) })
            return Response(status: .ok, body: ResponseBody { writer in
                var sent = 0
                while sent < count {
                    let size = min(chunk.readableBytes, count - sent)
                    try await writer.write(chunk.getSlice(at: 0, length: size)!)
                    sent += size
                }
                try await writer.finish(nil)
            })
        }
        router.get("/endless") { _, _ in
            Response(status: .ok, body: ResponseBody { writer in
                do {
                    var index = 0
                    while true {
                        try await writer.write(ByteBuffer(string: "{\"n\":\(index)}\n"))
                        index += 1
                        try await Task.sleep(for: .milliseconds(10))
                    }
                } catch {
                    log.streamAborted()
                    throw error
                }
            })
        }
        router.get("/text") { _, _ in
            Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "a\r\nb\n\nc")))
        }
        return router
    }

    private static func echo(_ request: Request) async throws -> Response {
        var headers: [String: [String]] = [:]
        for field in request.headers { headers[field.name.canonicalName, default: []].append(field.value) }
        let body = try await request.body.collect(upTo: 16 << 20)
        let object: [String: Any] = [
            "method": request.method.rawValue,
            "path": request.uri.path,
            "authority": request.head.authority ?? "",
            "query": request.uri.query ?? "",
            "headers": headers,
            "body": String(buffer: body),
        ]
        let data = try JSONSerialization.data(withJSONObject: object)
        var response = Response(
            status: .ok,
            headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: data))
        )
        response.headers.append(Field(name: Field.Name("X-Multi")!, value: "one"))
        response.headers.append(Field(name: Field.Name("x-multi")!, value: "two"))
        return response
    }
}
