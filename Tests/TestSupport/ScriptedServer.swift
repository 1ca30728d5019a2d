import Foundation
import Hummingbird
import Logging
import Synchronization

/// A request as the scripted server received it.
public struct RecordedRequest: Sendable {
    public var method: String
    public var path: String
    /// Decoded query parameters, in order.
    public var queryItems: [(String, String)]
    /// Lower-case names.
    public var headers: [String: String]
    public var body: String

    /// Decoded query parameters by name; the last of repeated names wins.
    public var query: [String: String] {
        Dictionary(queryItems, uniquingKeysWith: { _, last in last })
    }

    /// The body as a JSON object, or empty.
    public var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
    }
}

/// What the scripted server answers.
public struct ScriptedResponse: Sendable {
    public var status: Int
    /// Sent as they are; `Content-Type` is `application/json` unless set here.
    public var headers: [String: String]
    public var body: String

    public init(_ status: Int = 200, headers: [String: String] = [:], _ body: String = "") {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public init(status: Int, contentType: String, body: String) {
        self.init(status, headers: ["Content-Type": contentType], body)
    }

    public static func json(_ body: String, status: Int = 200) -> ScriptedResponse {
        ScriptedResponse(status: status, contentType: "application/json", body: body)
    }
}

/// An HTTP server on loopback that records every request and answers as the test scripts it, to check a client's
/// wire format and its handling of answers a real service gives only occasionally or never (HTML pages, broken
/// lines, throttling). Tests that can reach the emulators use those instead.
public enum ScriptedServer {
    /// Serves `answer` until `body` returns; `answer` also receives the server's base URL, for links it hands out.
    public static func run<T: Sendable>(
        _ answer: @escaping @Sendable (_ request: RecordedRequest, _ url: String) -> ScriptedResponse,
        _ body: @escaping @Sendable (_ url: String, _ requests: @escaping @Sendable () -> [RecordedRequest]) async throws -> T
    ) async throws -> T {
        let recorded = Mutex<[RecordedRequest]>([])
        let baseURL = Mutex("")
        let router = Router()
        for method in [HTTPRequest.Method.get, .post, .put, .patch, .delete] {
            router.on("**", method: method) { request, _ in
                var headers: [String: String] = [:]
                for field in request.headers { headers[field.name.canonicalName] = field.value }
                let body = try await request.body.collect(upTo: 1 << 20)
                let query = request.uri.queryParameters.map { (String($0.key), String($0.value)) }
                let received = RecordedRequest(method: request.method.rawValue, path: request.uri.path, queryItems: query,
                                               headers: headers, body: String(buffer: body))
                recorded.withLock { $0.append(received) }
                let scripted = answer(received, baseURL.withLock { $0 })
                var fields = HTTPFields()
                fields[.contentType] = "application/json"
                for (name, value) in scripted.headers { fields[HTTPFields.Element.Name(name)!] = value }
                return Response(status: .init(code: scripted.status), headers: fields,
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
            guard let port = await iterator.next() else { throw ServerDidNotStart() }
            defer { group.cancelAll() }
            let url = "http://127.0.0.1:\(port)"
            baseURL.withLock { $0 = url }
            return try await body(url, { recorded.withLock { $0 } })
        }
    }

    /// The same, for answers that need no base URL.
    public static func run<T: Sendable>(
        _ answer: @escaping @Sendable (_ request: RecordedRequest) -> ScriptedResponse,
        _ body: @escaping @Sendable (_ url: String, _ requests: @escaping @Sendable () -> [RecordedRequest]) async throws -> T
    ) async throws -> T {
        try await run({ request, _ in answer(request) }, body)
    }
}

/// The scripted server stopped before it listened.
public struct ServerDidNotStart: Error {}
