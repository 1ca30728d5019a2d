/// One invalid field of an object, worded as the API server words it
/// (`spec.port: Invalid value: 70000: must be between 6000 and 6999`).
public struct FieldError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kinds of field error the API server reports, with their `StatusCause.reason` values.
    public enum Kind: String, Hashable, Sendable {
        case required = "FieldValueRequired"
        case invalid = "FieldValueInvalid"
        case notSupported = "FieldValueNotSupported"
        case forbidden = "FieldValueForbidden"
        case duplicate = "FieldValueDuplicate"
    }

    public var kind: Kind
    /// Dotted path with indexes, such as `spec.excludeCidrs[1]`.
    public var field: String
    /// The offending value; `nil` for `required` and `forbidden`.
    public var value: JSONValue?
    public var detail: String

    public init(_ kind: Kind, field: String, value: JSONValue? = nil, detail: String) {
        self.kind = kind
        self.field = field
        self.value = value
        self.detail = detail
    }

    public static func invalid(_ field: String, _ value: JSONValue, _ detail: String) -> FieldError {
        FieldError(.invalid, field: field, value: value, detail: detail)
    }

    public static func required(_ field: String, _ detail: String) -> FieldError {
        FieldError(.required, field: field, detail: detail)
    }

    public static func forbidden(_ field: String, _ detail: String) -> FieldError {
        FieldError(.forbidden, field: field, detail: detail)
    }

    public static func notSupported(_ field: String, _ value: JSONValue, supported: [String]) -> FieldError {
        let list = supported.map { "\"\($0)\"" }.joined(separator: ", ")
        return FieldError(.notSupported, field: field, value: value, detail: "supported values: \(list)")
    }

    /// The message without the field path, as it goes into `StatusCause.message`.
    /// An empty `detail` adds nothing (`Required value`, not `Required value: `), as the Go field errors read.
    public var message: String {
        let head = switch kind {
        case .required: "Required value"
        case .forbidden: "Forbidden"
        case .invalid: "Invalid value: \(Self.render(value))"
        case .notSupported: "Unsupported value: \(Self.render(value))"
        case .duplicate: "Duplicate value: \(Self.render(value))"
        }
        return detail.isEmpty || kind == .duplicate ? head : "\(head): \(detail)"
    }

    public var description: String { "\(field): \(message)" }

    public var cause: StatusCause { StatusCause(reason: kind.rawValue, message: message, field: field) }

    /// Values as JSON text: strings quoted, numbers bare, so the reader sees exactly what was sent.
    static func render(_ value: JSONValue?) -> String {
        guard let value, let data = try? value.jsonData() else { return "null" }
        return String(decoding: data, as: UTF8.self)
    }
}

/// An object rejected for invalid fields, with all of them at once
/// (`Kind.group "name" is invalid: [spec.a: ..., spec.b: ...]`, as the API server's 422 message reads).
public struct InvalidObjectError: Error, Hashable, Sendable, CustomStringConvertible {
    public var group: String
    public var kind: String
    public var name: String
    public var errors: [FieldError]

    public init(group: String, kind: String, name: String, errors: [FieldError]) {
        self.group = group
        self.kind = kind
        self.name = name
        self.errors = errors
    }

    public init(_ resource: ResourceDescriptor, name: String, errors: [FieldError]) {
        self.init(group: resource.group, kind: resource.kind, name: name, errors: errors)
    }

    public var description: String {
        let qualifiedKind = group.isEmpty ? kind : "\(kind).\(group)"
        let list = errors.count == 1 ? errors[0].description : "[" + errors.map(\.description).joined(separator: ", ") + "]"
        return "\(qualifiedKind) \"\(name)\" is invalid: \(list)"
    }

    /// The 422 `Status` the API server would answer with.
    public var status: Status {
        Status(code: 422, reason: .invalid, message: description,
               details: StatusDetails(name: name, group: group, kind: kind, causes: errors.map(\.cause)))
    }
}
