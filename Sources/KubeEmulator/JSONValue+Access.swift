import Kube

/// Path access and small edits on stored objects, which the emulator keeps as plain JSON so that every member a
/// client sends (including ones no model knows) survives a round trip.
extension JSONValue {
    /// The value at a member path; `nil` when a member is missing or a step is not an object.
    subscript(path path: [String]) -> JSONValue? {
        get {
            var current = self
            for key in path {
                guard let next = current[key] else { return nil }
                current = next
            }
            return current
        }
        set { set(newValue, at: path[...]) }
    }

    /// Sets (or, with `nil`, removes) the member at `path`, creating intermediate objects.
    private mutating func set(_ value: JSONValue?, at path: ArraySlice<String>) {
        guard let key = path.first else {
            self = value ?? .null
            return
        }
        var members = objectValue ?? [:]
        if path.count == 1 {
            members[key] = value
        } else {
            var child = members[key] ?? .object([:])
            if case .object = child {} else { child = .object([:]) }
            child.set(value, at: path.dropFirst())
            members[key] = child
        }
        self = .object(members)
    }

    /// The `metadata` object (empty when absent).
    var metadata: [String: JSONValue] {
        get { self["metadata"]?.objectValue ?? [:] }
        set { self[path: ["metadata"]] = .object(newValue) }
    }

    /// A string member of `metadata`; empty when absent.
    func meta(_ key: String) -> String { self["metadata"]?[key]?.stringValue ?? "" }

    /// Sets a string member of `metadata`, removing it when empty (the API's `omitempty`).
    mutating func setMeta(_ key: String, _ value: String) {
        self[path: ["metadata", key]] = value.isEmpty ? nil : .string(value)
    }

    var name: String { meta("name") }
    var namespace: String { meta("namespace") }
    var uid: String { meta("uid") }
    var resourceVersion: String { meta("resourceVersion") }

    /// `metadata.labels` as a string map; members that are not strings are ignored.
    var labels: [String: String] { stringMap(self["metadata"]?["labels"]) }

    var annotations: [String: String] { stringMap(self["metadata"]?["annotations"]) }

    /// `metadata.finalizers`.
    var finalizers: [String] {
        get { (self["metadata"]?["finalizers"]?.arrayValue ?? []).compactMap(\.stringValue) }
        set { self[path: ["metadata", "finalizers"]] = newValue.isEmpty ? nil : .array(newValue.map(JSONValue.string)) }
    }

    var isBeingDeleted: Bool { self["metadata"]?["deletionTimestamp"] != nil }

    /// `metadata.ownerReferences` as (uid, blockOwnerDeletion) pairs plus the raw entries.
    var ownerReferences: [JSONValue] {
        get { self["metadata"]?["ownerReferences"]?.arrayValue ?? [] }
        set { self[path: ["metadata", "ownerReferences"]] = newValue.isEmpty ? nil : .array(newValue) }
    }

    var integerValue: Int64? {
        switch self {
        case .integer(let value): value
        case .double(let value) where value.rounded() == value && abs(value) < 9.0e15: Int64(value)
        default: nil
        }
    }

    var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// Whether the value is `null` (a member present with `null` is "unset" for most purposes).
    var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The JSON type name used in validation messages.
    var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .integer: "integer"
        case .double: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    /// A short text rendering for messages and table cells: strings bare, everything else as compact JSON.
    var plainText: String {
        switch self {
        case .string(let value): value
        case .null: "<none>"
        default: String(decoding: JSONWriter.encode(self), as: UTF8.self)
        }
    }
}

private func stringMap(_ value: JSONValue?) -> [String: String] {
    guard let members = value?.objectValue else { return [:] }
    var result: [String: String] = [:]
    for (key, value) in members {
        if let text = value.stringValue { result[key] = text }
    }
    return result
}
