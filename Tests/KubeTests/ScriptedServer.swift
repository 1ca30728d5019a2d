import Foundation
import Hummingbird
import Logging
import Synchronization

/// A request as the scripted server received it.
struct RecordedRequest: Sendable {
    var method: String
    var path: String
    /// Decoded query parameters, in order.
    var query: [(String, String)]
    /// Lower-case names.
    var headers: [String: String]
    var body: String
}

/// What the scripted server answers.
struct ScriptedResponse: Sendable {
    var status: Int
    var contentType: String
    var body: String

    static func json(_ body: String, status: Int = 200) -> ScriptedResponse {
        ScriptedResponse(status: status, contentType: "application/json", body: body)
    }
}

/// An HTTP server on loopback that records every request and answers as the test scripts it, to check the client's
/// wire format and its handling of answers no real API server gives (HTML pages, broken watch lines).
enum ScriptedServer {
    static func run<T: Sendable>(
        _ answer: @escaping @Sendable (RecordedRequest) -> ScriptedResponse,
        _ body: @escaping @Sendable (_ url: String, _ requests: @escaping @Sendable () -> [RecordedRequest]) async throws -> T
    ) async throws -> T {
        let recorded = Mutex<[RecordedRequest]>([])
        let router = Router()
        for method in [HTTPRequest.Method.get, .post, .put, .patch, .delete] {
            router.on("**", method: method) { request, _ in
                var headers: [String: String] = [:]
                for field in request.headers { headers[field.name.canonicalName] = field.value }
                let body = try await request.body.collect(upTo: 1 << 20)
                let query = request.uri.queryParameters.map { (String($0.key), String($0.value)) }
                let received = RecordedRequest(method: request.method.rawValue, path: request.uri.path, query: query,
                                               headers: headers, body: String(buffer: body))
                recorded.withLock { $0.append(received) }
                let scripted = answer(received)
                return Response(status: .init(code: scripted.status),
                                headers: [.contentType: scripted.contentType],
                                body: .init(byteBuffer: ByteBuffer(string: scripted.body)))
            }
        }
        let (ports, portContinuation) = AsyncStream<Int>.makeStream()
        var logger = Logger(label: "scripted-server")
        logger.logLevel = .critical
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                portContinuation.yield(channel.localAddress?.port ?? 0)
                portContinuation.finish()
            },
            logger: logger)
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await app.run()
                return nil
            }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw TestTimedOut(after: .zero) }
            defer { group.cancelAll() }
            return try await body("http://127.0.0.1:\(port)", { recorded.withLock { $0 } })
        }
    }
}
