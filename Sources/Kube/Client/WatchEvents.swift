import Foundation
import HTTPClient

/// One change reported by a watch.
public enum WatchEvent<Object: APIObject>: Sendable, Equatable {
    case added(Object)
    case modified(Object)
    /// The object's last state.
    case deleted(Object)
    /// No change: the watch has seen everything up to `resourceVersion`, from where it can resume.
    case bookmark(resourceVersion: String)

    /// The version the watch has reached with this event.
    public var resourceVersion: String {
        switch self {
        case .added(let object), .modified(let object), .deleted(let object): object.metadata.resourceVersion
        case .bookmark(let version): version
        }
    }

    /// The object, for every event but bookmarks.
    public var object: Object? {
        switch self {
        case .added(let object), .modified(let object), .deleted(let object): object
        case .bookmark: nil
        }
    }
}

/// The events of one watch request, decoded from its newline-delimited JSON body as they arrive.
///
/// The sequence ends when the server ends the watch (its timeout); an `ERROR` event is thrown as its `KubeError`
/// (`.gone` when the starting version is too old), and a broken connection as `.transport`. Either way the watcher
/// resumes from the last event's `resourceVersion`. Cancelling the reading task or calling ``cancel()`` closes the
/// connection.
public struct WatchEvents<Object: APIObject>: AsyncSequence, Sendable {
    public typealias Element = WatchEvent<Object>
    public typealias Failure = KubeError

    /// The watch URL, for messages.
    public let url: String
    let body: HTTPResponseBody

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(url: url, lines: body.lines.makeAsyncIterator())
    }

    /// Stops the watch.
    public func cancel() { body.cancel() }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let url: String
        var lines: HTTPResponseLines.AsyncIterator

        public mutating func next() async throws(KubeError) -> WatchEvent<Object>? {
            while true {
                let line: [UInt8]?
                do {
                    line = try await lines.next()
                } catch {
                    throw .transport(error)
                }
                guard let line else { return nil }
                if line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }) { continue }
                return try decode(line)
            }
        }

        private func decode(_ line: [UInt8]) throws(KubeError) -> WatchEvent<Object> {
            let envelope: WatchEnvelope<Object>
            do {
                envelope = try JSONDecoder().decode(WatchEnvelope<Object>.self, from: Data(line))
            } catch {
                throw .unexpectedResponse(method: "GET", url: url, code: 200,
                                          detail: "bad watch event: \(JSONCoding.describe(error, body: line))")
            }
            switch envelope.event {
            case .event(let event):
                return event
            case .error(let status):
                throw KubeError.classify(KubeAPIError(method: "GET", url: url, code: Int(status.code), status: status))
            }
        }
    }
}

/// One line of a watch: `{"type": "ADDED", "object": {...}}`. The object is decoded by what the type says it is:
/// the model for changes, a `Status` for `ERROR`, only the `resourceVersion` for `BOOKMARK` (whose object is not a
/// complete one).
private struct WatchEnvelope<Object: APIObject>: Decodable {
    enum Content {
        case event(WatchEvent<Object>)
        case error(Status)
    }

    let event: Content

    enum CodingKeys: String, CodingKey {
        case type, object
    }

    private struct BookmarkObject: Decodable {
        struct Metadata: Decodable {
            var resourceVersion: String?
        }

        var metadata: Metadata?
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let type = try container.decode(String.self, forKey: .type)
        switch type {
        case "ADDED": event = .event(.added(try container.decode(Object.self, forKey: .object)))
        case "MODIFIED": event = .event(.modified(try container.decode(Object.self, forKey: .object)))
        case "DELETED": event = .event(.deleted(try container.decode(Object.self, forKey: .object)))
        case "BOOKMARK":
            let bookmark = try container.decode(BookmarkObject.self, forKey: .object)
            event = .event(.bookmark(resourceVersion: bookmark.metadata?.resourceVersion ?? ""))
        case "ERROR":
            event = .error(try container.decode(Status.self, forKey: .object))
        default:
            throw DecodingError.dataCorruptedError(forKey: .type, in: container,
                                                   debugDescription: "unknown event type \"\(type)\"")
        }
    }
}
