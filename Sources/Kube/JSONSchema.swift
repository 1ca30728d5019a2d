/// The OpenAPI v3 schema subset of Kubernetes CustomResourceDefinitions (a "structural schema"), with the
/// Kubernetes extensions (`x-kubernetes-*`).
///
/// Model types describe themselves with it: each `CodingField` can carry the schema of its member, and
/// `JSONSchema.object(_:fields:)` turns a field list into an object schema, so the JSON names in a generated CRD are
/// the ones the model encodes. Members not modelled here (`anyOf`, `additionalProperties`...) are preserved.
public struct JSONSchema: PreservingCodable, Hashable {
    public var type = ""
    public var format = ""
    public var description = ""
    public var properties: [String: JSONSchema] = [:]
    public var required: [String] = []
    /// Stored in an array so that the recursive struct has a finite size.
    private var itemStorage: [JSONSchema] = []
    public var enumValues: [JSONValue] = []
    public var defaultValue: JSONValue?
    public var minimum: Double?
    public var maximum: Double?
    public var minLength: Int64?
    public var maxLength: Int64?
    public var pattern = ""
    public var minItems: Int64?
    public var maxItems: Int64?
    public var nullable = false
    /// `x-kubernetes-preserve-unknown-fields`: the server keeps members the schema does not list.
    public var preservesUnknownFields: Bool?
    /// `x-kubernetes-map-type`: `atomic` replaces the whole object on apply.
    public var mapType = ""
    /// `x-kubernetes-list-type`: `atomic`, `set` or `map`.
    public var listType = ""
    /// `x-kubernetes-list-map-keys` of a `map` list.
    public var listMapKeys: [String] = []
    /// `x-kubernetes-validations`: CEL rules the API server evaluates with `self` bound to this value.
    public var validations: [ValidationRule] = []
    public var unknownFields: [String: JSONValue] = [:]

    public init() {}

    /// Schema of the elements of an array.
    public var items: JSONSchema? {
        get { itemStorage.first }
        set { itemStorage = newValue.map { [$0] } ?? [] }
    }

    public static let codingFields: [CodingField<JSONSchema>] = [
        .omitEmpty("type", \.type),
        .omitEmpty("format", \.format),
        .omitEmpty("description", \.description),
        .omitEmpty("properties", \.properties),
        .omitEmpty("required", \.required),
        .optional("items", \.items),
        .omitEmpty("enum", \.enumValues),
        .optional("default", \.defaultValue),
        .optional("minimum", \.minimum),
        .optional("maximum", \.maximum),
        .optional("minLength", \.minLength),
        .optional("maxLength", \.maxLength),
        .omitEmpty("pattern", \.pattern),
        .optional("minItems", \.minItems),
        .optional("maxItems", \.maxItems),
        .omitEmpty("nullable", \.nullable),
        .optional("x-kubernetes-preserve-unknown-fields", \.preservesUnknownFields),
        .omitEmpty("x-kubernetes-map-type", \.mapType),
        .omitEmpty("x-kubernetes-list-type", \.listType),
        .omitEmpty("x-kubernetes-list-map-keys", \.listMapKeys),
        .omitEmpty("x-kubernetes-validations", \.validations),
    ]
}

extension JSONSchema {
    /// A string, optionally limited to `enum` values and with a server-side default.
    public static func string(_ description: String, enum values: [String] = [], default value: String? = nil)
        -> JSONSchema
    {
        var schema = JSONSchema()
        schema.type = "string"
        schema.description = description
        schema.enumValues = values.map(JSONValue.string)
        schema.defaultValue = value.map(JSONValue.string)
        return schema
    }

    /// An integer with a `format` (`int32` or `int64`) and optional inclusive bounds.
    public static func integer(_ description: String, format: String = "int32", minimum: Int64? = nil,
                               maximum: Int64? = nil, default value: Int64? = nil) -> JSONSchema
    {
        var schema = JSONSchema()
        schema.type = "integer"
        schema.format = format
        schema.description = description
        schema.minimum = minimum.map(Double.init)
        schema.maximum = maximum.map(Double.init)
        schema.defaultValue = value.map(JSONValue.integer)
        return schema
    }

    public static func boolean(_ description: String, default value: Bool? = nil) -> JSONSchema {
        var schema = JSONSchema()
        schema.type = "boolean"
        schema.description = description
        schema.defaultValue = value.map(JSONValue.bool)
        return schema
    }

    /// An RFC 3339 time (`Timestamp`).
    public static func dateTime(_ description: String) -> JSONSchema {
        var schema = JSONSchema.string(description)
        schema.format = "date-time"
        return schema
    }

    public static func array(_ description: String, of items: JSONSchema) -> JSONSchema {
        var schema = JSONSchema()
        schema.type = "array"
        schema.description = description
        schema.items = items
        return schema
    }

    /// An object whose properties are the members of a `PreservingCodable` model that carry a schema.
    public static func object<Root>(_ description: String, fields: [CodingField<Root>], required: [String] = [])
        -> JSONSchema
    {
        var schema = JSONSchema()
        schema.type = "object"
        schema.description = description
        for field in fields {
            if let property = field.schema { schema.properties[field.name] = property }
        }
        schema.required = required
        return schema
    }

    /// The same schema with another description (a shared type described where it is used).
    public func described(_ description: String) -> JSONSchema {
        var schema = self
        schema.description = description
        return schema
    }

    /// The same schema with CEL validation rules added.
    public func validated(by rules: [ValidationRule]) -> JSONSchema {
        var schema = self
        schema.validations += rules
        return schema
    }
}

/// One `x-kubernetes-validations` entry: a CEL expression that must be true, and the message when it is not.
public struct ValidationRule: PreservingCodable, Hashable {
    public var rule = ""
    public var message = ""
    public var messageExpression = ""
    /// Machine-readable reason in the `Invalid` response (`FieldValueInvalid` when empty).
    public var reason = ""
    /// The field the error is reported on, relative to the schema node (`.gatewayNodepoolName`).
    public var fieldPath = ""
    public var unknownFields: [String: JSONValue] = [:]

    public init() {}

    public init(rule: String, message: String, fieldPath: String = "", reason: String = "") {
        self.rule = rule
        self.message = message
        self.fieldPath = fieldPath
        self.reason = reason
    }

    public static let codingFields: [CodingField<ValidationRule>] = [
        .always("rule", \.rule),
        .omitEmpty("message", \.message),
        .omitEmpty("messageExpression", \.messageExpression),
        .omitEmpty("reason", \.reason),
        .omitEmpty("fieldPath", \.fieldPath),
    ]
}

/// A type that publishes the OpenAPI schema of its JSON form.
public protocol SchemaDescribed {
    static var schema: JSONSchema { get }
}
