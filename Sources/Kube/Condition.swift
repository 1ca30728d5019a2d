/// A standard status condition (meta/v1 `Condition`): one observed aspect of an object, such as `Ready`.
///
/// `type`, `status`, `reason`, `message` and `lastTransitionTime` are always written, as the Go type does.
/// `lastTransitionTime` moves only when `status` changes; `Array<Condition>.set(_:now:)` keeps that rule.
public struct Condition: PreservingCodable, Hashable, SchemaDescribed {
    /// CamelCase condition type, such as `Ready`.
    public var type = ""
    public var status = ConditionStatus.unknown
    /// CamelCase, machine-readable cause of the last transition.
    public var reason = ""
    public var message = ""
    public var lastTransitionTime: Timestamp?
    /// The `metadata.generation` the condition was computed from.
    public var observedGeneration: Int64 = 0
    public var unknownFields: [String: JSONValue] = [:]

    public init() {}

    public init(type: String, status: ConditionStatus, reason: String, message: String = "",
                observedGeneration: Int64 = 0, lastTransitionTime: Timestamp? = nil) {
        self.type = type
        self.status = status
        self.reason = reason
        self.message = message
        self.observedGeneration = observedGeneration
        self.lastTransitionTime = lastTransitionTime
    }

    public static let codingFields: [CodingField<Condition>] = [
        .always("type", \.type, schema: conditionSchema(
            "Type of the condition, in CamelCase.", pattern: typePattern, maxLength: 316)),
        .always("status", \.status, schema: .string("Status of the condition.", enum: ["True", "False", "Unknown"])),
        .always("reason", \.reason, schema: conditionSchema(
            "Machine-readable CamelCase reason of the last transition.", pattern: reasonPattern, minLength: 1,
            maxLength: 1024)),
        .always("message", \.message, schema: conditionSchema(
            "Human-readable details of the last transition.", maxLength: 32_768)),
        .optional("lastTransitionTime", \.lastTransitionTime, schema: .dateTime(
            "When the condition last changed status.")),
        .omitEmpty("observedGeneration", \.observedGeneration, schema: .integer(
            "The metadata.generation the condition was computed from.", format: "int64", minimum: 0)),
    ]

    /// The same rules as meta/v1 `Condition`, so that a CRD status accepts exactly what the Go type accepts.
    public static let schema = JSONSchema.object(
        "An observation of one aspect of the object's state.", fields: codingFields,
        required: ["lastTransitionTime", "message", "reason", "status", "type"])

    /// A condition list as meta/v1 declares it: a map keyed by `type`.
    public static let listSchema: JSONSchema = {
        var list = JSONSchema.array("Current observations of the object's state.", of: schema)
        list.listType = "map"
        list.listMapKeys = ["type"]
        return list
    }()

    static let typePattern =
        "^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$"
    static let reasonPattern = "^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$"

    private static func conditionSchema(_ description: String, pattern: String = "", minLength: Int64? = nil,
                                        maxLength: Int64) -> JSONSchema {
        var schema = JSONSchema.string(description)
        schema.pattern = pattern
        schema.minLength = minLength
        schema.maxLength = maxLength
        return schema
    }
}

/// `True`, `False` or `Unknown`; other values read from a server are kept as they are.
public struct ConditionStatus: RawRepresentable, Codable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    public static let `true` = ConditionStatus(rawValue: "True")
    public static let `false` = ConditionStatus(rawValue: "False")
    public static let unknown = ConditionStatus(rawValue: "Unknown")

    public var description: String { rawValue }
}

extension Array where Element == Condition {
    /// The condition of type `type`, if present.
    public func condition(ofType type: String) -> Condition? { first { $0.type == type } }

    /// Whether the condition `type` is present with status `True`.
    public func isTrue(_ type: String) -> Bool { condition(ofType: type)?.status == .true }

    /// Adds or updates the condition of the same type. `lastTransitionTime` is set to `now` (unless the new
    /// condition carries one) when the condition is new or its status changes, and kept otherwise, so that it
    /// tells when the state last changed rather than when it was last checked. Returns whether anything changed.
    @discardableResult
    public mutating func set(_ condition: Condition, now: Timestamp = .now()) -> Bool {
        guard let index = firstIndex(where: { $0.type == condition.type }) else {
            var added = condition
            added.lastTransitionTime = condition.lastTransitionTime ?? now
            append(added)
            return true
        }
        var updated = self[index]
        if updated.status != condition.status {
            updated.status = condition.status
            updated.lastTransitionTime = condition.lastTransitionTime ?? now
        } else if updated.lastTransitionTime == nil {
            updated.lastTransitionTime = condition.lastTransitionTime ?? now
        }
        updated.reason = condition.reason
        updated.message = condition.message
        updated.observedGeneration = condition.observedGeneration
        guard updated != self[index] else { return false }
        self[index] = updated
        return true
    }

    /// Removes the condition of type `type`; returns whether it was present.
    @discardableResult
    public mutating func remove(type: String) -> Bool {
        let before = count
        removeAll { $0.type == type }
        return count != before
    }
}
