import Foundation
import HTTPClient
import Kube
import KubeEmulator

/// An emulator serving on an ephemeral loopback port for one test, with a small JSON client for it.
struct Harness: Sendable {
    let server: RunningKubeEmulator
    let client: HTTPClient

    var emulator: KubeEmulator { server.emulator }
    var url: String { server.url }

    /// Runs `body` against a fresh emulator and stops it afterwards, whatever happens.
    static func with<T: Sendable>(
        _ configuration: KubeEmulator.Configuration = KubeEmulator.Configuration(),
        _ body: @Sendable (Harness) async throws -> T
    ) async throws -> T {
        let server = try await KubeEmulator(configuration: configuration).start()
        let client = try HTTPClient(configuration: HTTPClient.Configuration(proxy: .none))
        let harness = Harness(server: server, client: client)
        do {
            let result = try await body(harness)
            await server.stop()
            return result
        } catch {
            await server.stop()
            throw error
        }
    }

    /// An answer: status code, JSON body (or `null` when the body is not JSON) and headers.
    struct Answer: Sendable, CustomStringConvertible {
        var status: Int
        var json: JSONValue
        var headers: HTTPHeaders

        var description: String { "\(status) \(String(decoding: (try? json.jsonData()) ?? Data(), as: UTF8.self))" }

        subscript(path: String) -> JSONValue? { json.at(path) }
    }

    @discardableResult
    func request(_ method: HTTPMethod, _ path: String, _ body: JSONValue? = nil,
                 contentType: String = "application/json", headers: [(String, String)] = []) async throws -> Answer
    {
        var fields = HTTPHeaders(headers)
        if body != nil { fields.add(name: "Content-Type", value: contentType) }
        let bytes = try body.map { Array(try $0.jsonData()) }
        let response = try await client.execute(HTTPRequest(method: method, url: url + path, headers: fields, body: bytes))
        let json = (try? JSONValue(json: Data(response.body))) ?? .null
        return Answer(status: response.status, json: json, headers: response.headers)
    }

    func get(_ path: String) async throws -> Answer { try await request(.get, path) }
    func post(_ path: String, _ body: JSONValue) async throws -> Answer { try await request(.post, path, body) }
    func put(_ path: String, _ body: JSONValue) async throws -> Answer { try await request(.put, path, body) }
    func delete(_ path: String, _ options: JSONValue? = nil) async throws -> Answer { try await request(.delete, path, options) }

    func mergePatch(_ path: String, _ patch: JSONValue) async throws -> Answer {
        try await request(.patch, path, patch, contentType: "application/merge-patch+json")
    }

    /// Opens a watch and returns its events as they arrive.
    func watch(_ path: String) async throws -> WatchEvents {
        let response = try await client.stream(HTTPRequest(method: .get, url: url + path))
        return WatchEvents(status: response.status, body: response.body)
    }

    /// Creates a ConfigMap `name` in `namespace` with `data`, expecting success.
    @discardableResult
    func configMap(_ name: String, namespace: String = "default", labels: [String: String] = [:],
                   data: [String: String] = [:], extraMetadata: JSONValue = [:]) async throws -> JSONValue
    {
        var metadata: [String: JSONValue] = ["name": .string(name)]
        if !labels.isEmpty { metadata["labels"] = .object(labels.mapValues(JSONValue.string)) }
        for (key, value) in extraMetadata.objectValue ?? [:] { metadata[key] = value }
        let answer = try await post("/api/v1/namespaces/\(namespace)/configmaps", [
            "apiVersion": "v1", "kind": "ConfigMap", "metadata": .object(metadata),
            "data": .object(data.mapValues(JSONValue.string)),
        ])
        guard answer.status == 201 else { throw Unexpected(answer: answer) }
        return answer.json
    }
}

/// A watch stream read event by event.
final class WatchEvents: Sendable {
    let status: Int
    private let body: HTTPResponseBody
    private let iterator: IteratorBox

    init(status: Int, body: HTTPResponseBody) {
        self.status = status
        self.body = body
        iterator = IteratorBox(body.lines.makeAsyncIterator())
    }

    /// The next event (`type`, `object`), or nil when the server closed the stream.
    func next() async throws -> (type: String, object: JSONValue)? {
        guard let line = try await iterator.next() else { return nil }
        let event = try JSONValue(json: Data(line))
        return (event["type"]?.stringValue ?? "", event["object"] ?? .null)
    }

    /// The next event that is not a BOOKMARK.
    func nextChange() async throws -> (type: String, object: JSONValue)? {
        while let event = try await next() {
            if event.type != "BOOKMARK" { return event }
        }
        return nil
    }

    func cancel() { body.cancel() }
}

/// Lets a Sendable class hold the mutable line iterator; one reader at a time.
final class IteratorBox: @unchecked Sendable {
    private var iterator: HTTPResponseLines.AsyncIterator
    init(_ iterator: HTTPResponseLines.AsyncIterator) { self.iterator = iterator }
    func next() async throws -> [UInt8]? { try await iterator.next() }
}

struct Unexpected: Error, CustomStringConvertible {
    let answer: Harness.Answer
    var description: String { "unexpected answer: \(answer)" }
}

extension JSONValue {
    /// The value at a dotted path with optional indexes (`metadata.finalizers[0]`).
    func at(_ path: String) -> JSONValue? {
        var current: JSONValue? = self
        for part in path.split(separator: ".") {
            var name = Substring(part)
            var indexes: [Int] = []
            while let open = name.lastIndex(of: "["), name.hasSuffix("]") {
                indexes.insert(Int(name[name.index(after: open)..<name.index(before: name.endIndex)]) ?? 0, at: 0)
                name = name[..<open]
            }
            if !name.isEmpty { current = current?[String(name)] }
            for index in indexes {
                guard let elements = current?.arrayValue, elements.indices.contains(index) else { return nil }
                current = elements[index]
            }
        }
        return current
    }

    var string: String? { stringValue }

    var int: Int64? {
        if case .integer(let value) = self { return value }
        return nil
    }

    var items: [JSONValue] { self["items"]?.arrayValue ?? [] }

    var names: [String] { items.compactMap { $0.at("metadata.name")?.stringValue } }
}

extension JSONValue {
    /// Sets (or with nil removes) the member at a dotted path, creating objects on the way.
    mutating func set(_ path: String, _ value: JSONValue?) {
        let keys = path.split(separator: ".").map(String.init)
        self = Self.setting(self, keys[...], value)
    }

    private static func setting(_ base: JSONValue, _ keys: ArraySlice<String>, _ value: JSONValue?) -> JSONValue {
        guard let key = keys.first else { return value ?? .null }
        var members = base.objectValue ?? [:]
        if keys.count == 1 {
            members[key] = value
        } else {
            members[key] = setting(members[key] ?? .object([:]), keys.dropFirst(), value)
        }
        return .object(members)
    }
}
