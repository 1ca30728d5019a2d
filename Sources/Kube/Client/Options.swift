import Foundation

/// Options of a list request.
public struct ListOptions: Sendable, Equatable {
    /// `app=gw,tier!=db`, `env in (a,b)`, `!legacy`...
    public var labelSelector: String?
    /// `metadata.name=x`, `spec.nodeName=node-1`...
    public var fieldSelector: String?
    /// The page size; the answer's `metadata.continue` asks for the next page.
    public var limit: Int?
    /// The token from the previous page.
    public var continueToken: String?
    /// `"0"` allows a (possibly stale) answer from the server's cache; nil asks for the latest state.
    public var resourceVersion: String?
    public var timeoutSeconds: Int?

    public init(labelSelector: String? = nil, fieldSelector: String? = nil, limit: Int? = nil,
                continueToken: String? = nil, resourceVersion: String? = nil, timeoutSeconds: Int? = nil) {
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.limit = limit
        self.continueToken = continueToken
        self.resourceVersion = resourceVersion
        self.timeoutSeconds = timeoutSeconds
    }

    var query: [(String, String)] {
        var query: [(String, String)] = []
        if let labelSelector, !labelSelector.isEmpty { query.append(("labelSelector", labelSelector)) }
        if let fieldSelector, !fieldSelector.isEmpty { query.append(("fieldSelector", fieldSelector)) }
        if let limit, limit > 0 { query.append(("limit", String(limit))) }
        if let continueToken, !continueToken.isEmpty { query.append(("continue", continueToken)) }
        if let resourceVersion { query.append(("resourceVersion", resourceVersion)) }
        if let timeoutSeconds { query.append(("timeoutSeconds", String(timeoutSeconds))) }
        return query
    }
}

/// Options of a watch request.
public struct WatchOptions: Sendable, Equatable {
    public var labelSelector: String?
    public var fieldSelector: String?
    /// Changes after this version are sent; nil or `"0"` starts with synthetic ADDED events for the current state.
    public var resourceVersion: String?
    /// Ask for BOOKMARK events, which advance the resourceVersion to resume from without object changes.
    public var allowWatchBookmarks: Bool
    /// The server ends the watch after this long (a watcher then resumes from its last version).
    public var timeoutSeconds: Int?

    public init(labelSelector: String? = nil, fieldSelector: String? = nil, resourceVersion: String? = nil,
                allowWatchBookmarks: Bool = true, timeoutSeconds: Int? = nil) {
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.resourceVersion = resourceVersion
        self.allowWatchBookmarks = allowWatchBookmarks
        self.timeoutSeconds = timeoutSeconds
    }

    var query: [(String, String)] {
        var query: [(String, String)] = [("watch", "true")]
        if let labelSelector, !labelSelector.isEmpty { query.append(("labelSelector", labelSelector)) }
        if let fieldSelector, !fieldSelector.isEmpty { query.append(("fieldSelector", fieldSelector)) }
        if let resourceVersion, !resourceVersion.isEmpty { query.append(("resourceVersion", resourceVersion)) }
        if allowWatchBookmarks { query.append(("allowWatchBookmarks", "true")) }
        if let timeoutSeconds { query.append(("timeoutSeconds", String(timeoutSeconds))) }
        return query
    }
}

/// What happens to an object's dependents when it is deleted.
public enum PropagationPolicy: String, Sendable {
    /// Leave them (their owner references dangle).
    case orphan = "Orphan"
    /// Delete the object now and its dependents after (the default for most resources).
    case background = "Background"
    /// Keep the object (with a `foregroundDeletion` finalizer) until its blocking dependents are gone.
    case foreground = "Foreground"
}

/// Options of a delete request (meta/v1 `DeleteOptions`).
public struct DeleteOptions: Sendable, Equatable {
    public var propagationPolicy: PropagationPolicy?
    /// Delete only the object with this uid (not a re-created namesake).
    public var preconditionUID: String?
    /// Delete only if the object is still at this version.
    public var preconditionResourceVersion: String?
    public var gracePeriodSeconds: Int64?

    public init(propagationPolicy: PropagationPolicy? = nil, preconditionUID: String? = nil,
                preconditionResourceVersion: String? = nil, gracePeriodSeconds: Int64? = nil) {
        self.propagationPolicy = propagationPolicy
        self.preconditionUID = preconditionUID
        self.preconditionResourceVersion = preconditionResourceVersion
        self.gracePeriodSeconds = gracePeriodSeconds
    }

    /// The request body, or nil when every option is at its default.
    var body: JSONValue? {
        var members: [String: JSONValue] = [:]
        if let propagationPolicy { members["propagationPolicy"] = .string(propagationPolicy.rawValue) }
        if let gracePeriodSeconds { members["gracePeriodSeconds"] = .integer(gracePeriodSeconds) }
        var preconditions: [String: JSONValue] = [:]
        if let preconditionUID { preconditions["uid"] = .string(preconditionUID) }
        if let preconditionResourceVersion { preconditions["resourceVersion"] = .string(preconditionResourceVersion) }
        if !preconditions.isEmpty { members["preconditions"] = .object(preconditions) }
        guard !members.isEmpty else { return nil }
        members["apiVersion"] = "v1"
        members["kind"] = "DeleteOptions"
        return .object(members)
    }
}

/// A partial change to an object.
public enum Patch: Sendable, Equatable {
    /// RFC 7386 JSON merge patch: members replace, `null` removes, lists replace whole.
    case merge(JSONValue)
    /// RFC 6902 JSON patch: a list of operations, applied in order (`test` makes it conditional).
    case json([JSONPatchOperation])
    /// Kubernetes strategic merge patch (built-in kinds only): lists merge by their key.
    case strategicMerge(JSONValue)

    var contentType: String {
        switch self {
        case .merge: "application/merge-patch+json"
        case .json: "application/json-patch+json"
        case .strategicMerge: "application/strategic-merge-patch+json"
        }
    }

    var body: JSONValue {
        switch self {
        case .merge(let value), .strategicMerge(let value): value
        case .json(let operations): .array(operations.map(\.json))
        }
    }
}

/// One RFC 6902 operation. Paths are JSON pointers (`/metadata/labels/app`; `~1` escapes `/`).
public struct JSONPatchOperation: Sendable, Equatable {
    public var op: String
    public var path: String
    public var value: JSONValue?
    public var from: String?

    public static func add(_ path: String, _ value: JSONValue) -> JSONPatchOperation {
        JSONPatchOperation(op: "add", path: path, value: value)
    }

    public static func replace(_ path: String, _ value: JSONValue) -> JSONPatchOperation {
        JSONPatchOperation(op: "replace", path: path, value: value)
    }

    public static func remove(_ path: String) -> JSONPatchOperation {
        JSONPatchOperation(op: "remove", path: path)
    }

    /// Fails the whole patch unless the value at `path` equals `value`.
    public static func test(_ path: String, _ value: JSONValue) -> JSONPatchOperation {
        JSONPatchOperation(op: "test", path: path, value: value)
    }

    public static func move(from: String, to path: String) -> JSONPatchOperation {
        JSONPatchOperation(op: "move", path: path, from: from)
    }

    public static func copy(from: String, to path: String) -> JSONPatchOperation {
        JSONPatchOperation(op: "copy", path: path, from: from)
    }

    /// `segment` escaped for use in a JSON pointer (`a/b` → `a~1b`).
    public static func escape(_ segment: String) -> String {
        segment.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }

    init(op: String, path: String, value: JSONValue? = nil, from: String? = nil) {
        self.op = op
        self.path = path
        self.value = value
        self.from = from
    }

    var json: JSONValue {
        var members: [String: JSONValue] = ["op": .string(op), "path": .string(path)]
        if let value { members["value"] = value }
        if let from { members["from"] = .string(from) }
        return .object(members)
    }
}
