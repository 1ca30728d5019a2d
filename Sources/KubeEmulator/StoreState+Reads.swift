import Foundation
import Kube

/// One page of a list.
struct ListPage: Sendable {
    var items: [JSONValue]
    var revision: Int64
    var continueToken: String
    var remaining: Int64?
}

/// Where a watch starts.
enum WatchStart: Sendable {
    /// The current state as ADDED events first (resourceVersion unset or "0", or `sendInitialEvents=true`), then
    /// changes; `endBookmark` marks the end of that state with a BOOKMARK annotated `k8s.io/initial-events-end`.
    case currentState(endBookmark: Bool)
    /// Every change after this resourceVersion.
    case after(Int64)
}

extension StoreState {
    func get(_ resource: ResourceType, key: ObjectKey) throws(APIError) -> JSONValue {
        guard let object = objects[resource.key]?[key] else { throw APIError.notFound(resource, key.name) }
        return object
    }

    /// The objects matching `filter` in key order, from after the continue token, at most `limit` of them.
    func list(_ resource: ResourceType, filter: WatchFilter, limit: Int?, continueToken: String?) throws(APIError)
        -> ListPage
    {
        var listRevision = revision
        var startAfter: ObjectKey?
        if let continueToken, !continueToken.isEmpty {
            let token = try ContinueToken(decoding: continueToken)
            if token.revision < history.compactedRevision {
                throw APIError.gone(
                    "The provided continue parameter is too old to display a consistent list result. You can start a"
                        + " new list without the continue parameter.")
            }
            listRevision = token.revision
            startAfter = token.after
        }
        let members = objects[resource.key] ?? [:]
        var keys = members.keys.filter { key in
            if let namespace = filter.namespace, key.namespace != namespace { return false }
            if let startAfter, key <= startAfter { return false }
            return true
        }
        keys.sort()
        var items: [JSONValue] = []
        var index = 0
        while index < keys.count {
            let object = members[keys[index]]!
            index += 1
            guard filter.matches(object) else { continue }
            items.append(object)
            if let limit, limit > 0, items.count == limit { break }
        }
        var page = ListPage(items: items, revision: listRevision, continueToken: "", remaining: nil)
        if let limit, limit > 0, items.count == limit {
            let remaining = keys[index...].reduce(Int64(0)) { $0 + (filter.matches(members[$1]!) ? 1 : 0) }
            if remaining > 0, let last = items.last {
                page.continueToken = ContinueToken(revision: listRevision,
                                                   after: ObjectKey(namespace: last.namespace, name: last.name)).encoded
                page.remaining = remaining
            }
        }
        return page
    }

    /// Registers a watch and queues what it must see first; later changes reach it as they are recorded.
    mutating func startWatch(_ filter: WatchFilter, from start: WatchStart, bufferLimit: Int) throws(APIError)
        -> (id: Int, stream: AsyncStream<WatchMessage>)
    {
        var backlog: [WatchMessage] = []
        switch start {
        case .currentState(let endBookmark):
            let members = objects[filter.resource] ?? [:]
            for key in members.keys.sorted() where filter.matches(members[key]!) {
                backlog.append(.event(.added, members[key]!))
            }
            if endBookmark { backlog.append(.bookmark(revision, initialEventsEnd: true)) }
        case .after(let version):
            guard let events = history.events(after: version) else {
                throw APIError.gone("too old resource version: \(version) (\(history.compactedRevision + 1))")
            }
            for event in events {
                if let (type, object) = filter.view(of: event) { backlog.append(.event(type, object)) }
            }
        }
        let (stream, continuation) = AsyncStream<WatchMessage>.makeStream(
            bufferingPolicy: .bufferingOldest(backlog.count + bufferLimit))
        for message in backlog { continuation.yield(message) }
        let id = nextWatcherID
        nextWatcherID += 1
        watchers[id] = Watcher(filter: filter, continuation: continuation)
        return (id, stream)
    }

    /// Sends a BOOKMARK with the current resourceVersion: every change up to it has been queued for this watch.
    mutating func bookmark(_ id: Int) {
        guard let watcher = watchers[id] else { return }
        deliver(.bookmark(revision, initialEventsEnd: false), to: id, watcher)
    }

    /// Ends every open watch (fault injection, shutdown); clients see their streams close and reconnect.
    mutating func stopAllWatches() {
        for id in Array(watchers.keys) { stopWatch(id) }
    }
}

/// The opaque `continue` value: the list's resourceVersion and the last key returned.
struct ContinueToken {
    var revision: Int64
    var after: ObjectKey

    var encoded: String {
        let value: JSONValue = ["v": "meta.k8s.io/v1", "rv": .integer(revision),
                                "start": .string(after.namespace + "/" + after.name + "\u{0}")]
        return Data(JSONWriter.encode(value)).base64EncodedString()
    }

    init(revision: Int64, after: ObjectKey) {
        self.revision = revision
        self.after = after
    }

    init(decoding text: String) throws(APIError) {
        guard let data = Data(base64Encoded: text), let value = try? JSONReader.parse(Array(data)),
              let revision = value["rv"]?.integerValue, var start = value["start"]?.stringValue
        else { throw APIError.badRequest("continue key is not valid: \(text)") }
        if start.hasSuffix("\u{0}") { start.removeLast() }
        let parts = start.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw APIError.badRequest("continue key is not valid: \(text)") }
        self.init(revision: revision, after: ObjectKey(namespace: String(parts[0]), name: String(parts[1])))
    }
}
