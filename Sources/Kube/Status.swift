/// The body of an API error (and of some successful deletes): meta/v1 `Status`.
public struct Status: PreservingCodable, Hashable, Error, CustomStringConvertible {
    public var metadata = ListMeta()
    /// `Success` or `Failure`.
    public var status = ""
    public var message = ""
    /// Machine-readable cause: `NotFound`, `AlreadyExists`, `Conflict`, `Invalid`...
    public var reason = StatusReason(rawValue: "")
    public var details: StatusDetails?
    /// The HTTP status code, repeated in the body.
    public var code: Int32 = 0
    public var unknownFields: [String: JSONValue] = [:]

    public init() {}

    public init(code: Int32, reason: StatusReason, message: String, details: StatusDetails? = nil) {
        status = Status.failure
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
    }

    public static let success = "Success"
    public static let failure = "Failure"

    public static let codingFields: [CodingField<Status>] =
        TypeMeta.codingFields(apiVersion: "v1", kind: "Status") + [
            .always("metadata", \.metadata),
            .omitEmpty("status", \.status),
            .omitEmpty("message", \.message),
            .omitEmpty("reason", \.reason),
            .optional("details", \.details),
            .omitEmpty("code", \.code),
        ]

    public var description: String {
        message.isEmpty ? "\(code) \(reason.rawValue)" : message
    }
}

/// Why a request failed, as the API server names it in `Status.reason`.
public struct StatusReason: RawRepresentable, Codable, Hashable, Sendable, ZeroValueRepresentable,
    CustomStringConvertible
{
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    public var isZeroValue: Bool { rawValue.isEmpty }
    public var description: String { rawValue }

    public static let notFound = StatusReason(rawValue: "NotFound")
    public static let alreadyExists = StatusReason(rawValue: "AlreadyExists")
    public static let conflict = StatusReason(rawValue: "Conflict")
    public static let invalid = StatusReason(rawValue: "Invalid")
    public static let badRequest = StatusReason(rawValue: "BadRequest")
    public static let forbidden = StatusReason(rawValue: "Forbidden")
    public static let unauthorized = StatusReason(rawValue: "Unauthorized")
    public static let tooManyRequests = StatusReason(rawValue: "TooManyRequests")
    public static let serverTimeout = StatusReason(rawValue: "ServerTimeout")
    public static let timeout = StatusReason(rawValue: "Timeout")
    public static let gone = StatusReason(rawValue: "Gone")
    public static let expired = StatusReason(rawValue: "Expired")
    public static let methodNotAllowed = StatusReason(rawValue: "MethodNotAllowed")
    public static let internalError = StatusReason(rawValue: "InternalError")
}

/// What a `Status` is about: the object, and for `Invalid` the individual field causes.
public struct StatusDetails: PreservingCodable, Hashable {
    public var name = ""
    public var group = ""
    public var kind = ""
    public var uid = ""
    public var causes: [StatusCause] = []
    /// Seconds to wait before retrying (429 and some 5xx answers).
    public var retryAfterSeconds: Int32 = 0
    public var unknownFields: [String: JSONValue] = [:]

    public init() {}

    public init(name: String, group: String, kind: String, causes: [StatusCause] = []) {
        self.name = name
        self.group = group
        self.kind = kind
        self.causes = causes
    }

    public static let codingFields: [CodingField<StatusDetails>] = [
        .omitEmpty("name", \.name),
        .omitEmpty("group", \.group),
        .omitEmpty("kind", \.kind),
        .omitEmpty("uid", \.uid),
        .omitEmpty("causes", \.causes),
        .omitEmpty("retryAfterSeconds", \.retryAfterSeconds),
    ]
}

/// One cause of a failure; for validation errors, one field.
public struct StatusCause: PreservingCodable, Hashable {
    /// `FieldValueInvalid`, `FieldValueRequired`...
    public var reason = ""
    public var message = ""
    /// The field path, such as `spec.gatewayVmssProfile.vmssName`.
    public var field = ""
    public var unknownFields: [String: JSONValue] = [:]

    public init() {}

    public init(reason: String, message: String, field: String) {
        self.reason = reason
        self.message = message
        self.field = field
    }

    public static let codingFields: [CodingField<StatusCause>] = [
        .omitEmpty("reason", \.reason),
        .omitEmpty("message", \.message),
        .omitEmpty("field", \.field),
    ]
}
