import Foundation
import Azure
import Hummingbird
import Logging
import Synchronization

/// A request as the scripted server received it.
struct RecordedRequest: Sendable {
    var method: String
    var path: String
    var query: [String: String]
    /// Lower-case names.
    var headers: [String: String]
    var body: String

    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
    }
}

/// What the scripted server answers.
struct ScriptedResponse: Sendable {
    var status: Int
    var headers: [String: String]
    var body: String

    init(_ status: Int = 200, headers: [String: String] = [:], _ body: String = "") {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// An HTTP server on loopback that records every request and answers as the test scripts it, for protocol edge
/// cases (throttling, long-running operations, paging) that a real service gives only occasionally.
enum ScriptedServer {
    static func run<T: Sendable>(
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
                var query: [String: String] = [:]
                for (key, value) in request.uri.queryParameters { query[String(key)] = String(value) }
                let received = RecordedRequest(method: request.method.rawValue, path: request.uri.path, query: query,
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
}

struct ServerDidNotStart: Error {}

/// A counter shared between a scripted answer and the test.
final class Counter: Sendable {
    private let value = Mutex(0)
    /// Adds one and returns the new count.
    func next() -> Int { value.withLock { $0 += 1; return $0 } }
    var current: Int { value.withLock { $0 } }
}

/// Backoff fast enough for tests (the policy's shape is what is under test, not its durations).
extension Azure.Backoff {
    static func quick(retries: Int) -> Self { Self(initial: .milliseconds(1), maximum: .milliseconds(5), jitter: 0, retries: retries) }
}

/// A local port nothing listens on: bound, then closed.
func refusedPort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
    }
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}
