import Kube

/// The `type` of a watch event.
enum WatchEventType: String, Sendable {
    case added = "ADDED"
    case modified = "MODIFIED"
    case deleted = "DELETED"
    case bookmark = "BOOKMARK"
    case error = "ERROR"
}

/// One change recorded in the store's history: every write makes exactly one, numbered by the resourceVersion it
/// produced, so that a watch can resume from any version still in the history.
struct StoredEvent: Sendable {
    var revision: Int64
    var resource: ResourceKey
    var type: WatchEventType
    var object: JSONValue
    /// The object before the change (for MODIFIED), so a filtered watch can tell entering from leaving the filter.
    var previous: JSONValue?
}

/// What a watch stream delivers, in order.
enum WatchMessage: Sendable {
    case event(WatchEventType, JSONValue)
    /// A BOOKMARK at this resourceVersion; `initialEventsEnd` marks the end of the initial state of a watch list.
    case bookmark(Int64, initialEventsEnd: Bool)
}

/// Which objects one watch (or list) wants.
struct WatchFilter: Sendable {
    var resource: ResourceKey
    /// nil for all namespaces (and for cluster-scoped resources).
    var namespace: String?
    var labels: LabelSelector
    var fields: FieldSelector

    func matches(_ object: JSONValue) -> Bool {
        if let namespace, object.namespace != namespace { return false }
        return labels.matches(object.labels) && fields.matches(object)
    }

    /// The event this watch sees for a stored change: an object entering the filter is ADDED to it and one leaving
    /// it is DELETED from it, as kube-apiserver reports filtered watches.
    func view(of event: StoredEvent) -> (WatchEventType, JSONValue)? {
        guard event.resource == resource else { return nil }
        switch event.type {
        case .added:
            return matches(event.object) ? (.added, event.object) : nil
        case .deleted:
            return matches(event.object) ? (.deleted, event.object) : nil
        default:
            let now = matches(event.object)
            let before = event.previous.map(matches) ?? false
            switch (before, now) {
            case (true, true): return (.modified, event.object)
            case (false, true): return (.added, event.object)
            case (true, false): return (.deleted, event.object)
            case (false, false): return nil
            }
        }
    }
}

/// The bounded history of changes. Versions older than the oldest retained change can no longer be watched from
/// (410 Gone), as after an etcd compaction.
struct EventHistory: Sendable {
    private var events: [StoredEvent] = []
    private var start = 0
    let limit: Int
    /// The newest revision that was dropped; watching from a version below it is impossible.
    private(set) var compactedRevision: Int64 = 0

    init(limit: Int) { self.limit = max(1, limit) }

    mutating func append(_ event: StoredEvent) {
        events.append(event)
        if events.count - start > limit {
            compactedRevision = events[start].revision
            start += 1
            if start > limit {
                events.removeFirst(start)
                start = 0
            }
        }
    }

    /// Changes after `revision`, oldest first; nil when some of them were already dropped.
    func events(after revision: Int64) -> ArraySlice<StoredEvent>? {
        guard revision >= compactedRevision else { return nil }
        var low = start
        var high = events.count
        while low < high {
            let middle = (low + high) / 2
            if events[middle].revision <= revision { low = middle + 1 } else { high = middle }
        }
        return events[low...]
    }
}
