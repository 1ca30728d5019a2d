import Kube

/// What kube-apiserver does to a custom resource with its CRD's structural schema on every write: prune members
/// the schema does not list (unless `x-kubernetes-preserve-unknown-fields`), drop `null`s that are not nullable,
/// apply `default`s, then validate types, enums, bounds, lengths, patterns, item counts and required members.
enum CustomResourceSchema {
    /// Processes `object` in place and returns the validation errors, each naming its field.
    static func process(_ object: inout JSONValue, resource: ResourceType) -> [FieldError] {
        guard let schema = resource.schemas[resource.storageVersion] else { return [] }
        guard var members = object.objectValue else { return [] }
        var errors: [FieldError] = []
        for (key, value) in members where !["apiVersion", "kind", "metadata"].contains(key) {
            var child = value
            guard let childSchema = schema.properties[key] else {
                if schema.preservesUnknownFields != true { members[key] = nil }
                continue
            }
            if child.isNull, !childSchema.nullable {
                members[key] = nil
                continue
            }
            prune(&child, childSchema)
            members[key] = child
        }
        for (key, property) in schema.properties where members[key] == nil && !["apiVersion", "kind", "metadata"].contains(key) {
            if let value = property.defaultValue {
                var child = value
                prune(&child, property)
                members[key] = child
            }
        }
        for (key, property) in schema.properties where !["apiVersion", "kind", "metadata"].contains(key) {
            guard var child = members[key] else { continue }
            applyDefaults(&child, property)
            members[key] = child
        }
        for key in schema.required where members[key] == nil {
            errors.append(.required(key, ""))
        }
        for key in members.keys.sorted() where !["apiVersion", "kind", "metadata"].contains(key) {
            if let property = schema.properties[key] { validate(members[key]!, property, path: key, errors: &errors) }
        }
        object = .object(members)
        return errors
    }

    // MARK: Pruning

    static func prune(_ value: inout JSONValue, _ schema: JSONSchema) {
        switch value {
        case .object(var members):
            if schema.isIntOrString || schema.isEmbeddedResource && schema.properties.isEmpty {
                return
            }
            for (key, child) in members {
                let childSchema: JSONSchema?
                if let property = schema.properties[key] {
                    childSchema = property
                } else if let additional = schema.additionalProperties {
                    childSchema = additional
                } else if schema.preservesUnknownFields == true || schema.allowsAnyAdditionalProperties
                    || (schema.isEmbeddedResource && ["apiVersion", "kind", "metadata"].contains(key))
                {
                    continue
                } else {
                    childSchema = nil
                }
                guard let childSchema else {
                    members[key] = nil
                    continue
                }
                if child.isNull, !childSchema.nullable {
                    members[key] = nil
                    continue
                }
                var pruned = child
                prune(&pruned, childSchema)
                members[key] = pruned
            }
            value = .object(members)
        case .array(var elements):
            guard let items = schema.items else { return }
            for index in elements.indices { prune(&elements[index], items) }
            value = .array(elements)
        default:
            return
        }
    }

    // MARK: Defaulting

    static func applyDefaults(_ value: inout JSONValue, _ schema: JSONSchema) {
        switch value {
        case .object(var members):
            for (key, property) in schema.properties where members[key] == nil {
                if var defaulted = property.defaultValue {
                    prune(&defaulted, property)
                    members[key] = defaulted
                }
            }
            for (key, child) in members {
                guard let childSchema = schema.properties[key] ?? schema.additionalProperties else { continue }
                var updated = child
                applyDefaults(&updated, childSchema)
                members[key] = updated
            }
            value = .object(members)
        case .array(var elements):
            guard let items = schema.items else { return }
            for index in elements.indices { applyDefaults(&elements[index], items) }
            value = .array(elements)
        default:
            return
        }
    }

    // MARK: Validation

    static func validate(_ value: JSONValue, _ schema: JSONSchema, path: String, errors: inout [FieldError]) {
        if value.isNull { return }
        if !typeMatches(value, schema) {
            let expected = schema.isIntOrString ? "integer or string" : schema.type
            errors.append(.invalid(path, .string(value.typeName),
                                   "\(path) in body must be of type \(expected): \"\(value.typeName)\""))
            return
        }
        if !schema.enumValues.isEmpty, !schema.enumValues.contains(where: { equalNumbers($0, value) }) {
            errors.append(.notSupported(path, value, supported: schema.enumValues.map(\.plainText)))
        }
        switch value {
        case .integer, .double:
            let number: Double = if case .integer(let whole) = value { Double(whole) } else if case .double(let real) = value { real } else { 0 }
            if let maximum = schema.maximum {
                if schema.exclusiveMaximum ? number >= maximum : number > maximum {
                    let relation = schema.exclusiveMaximum ? "less than" : "less than or equal to"
                    errors.append(.invalid(path, value, "\(path) in body should be \(relation) \(render(maximum))"))
                }
            }
            if let minimum = schema.minimum {
                if schema.exclusiveMinimum ? number <= minimum : number < minimum {
                    let relation = schema.exclusiveMinimum ? "greater than" : "greater than or equal to"
                    errors.append(.invalid(path, value, "\(path) in body should be \(relation) \(render(minimum))"))
                }
            }
        case .string(let text):
            let length = Int64(text.count)
            if let maximum = schema.maxLength, length > maximum {
                errors.append(FieldError(.invalid, field: path, value: value, detail: "\(path) in body should be at most \(maximum) chars long"))
            }
            if let minimum = schema.minLength, length < minimum {
                errors.append(.invalid(path, value, "\(path) in body should be at least \(minimum) chars long"))
            }
            if !schema.pattern.isEmpty, !matches(text, pattern: schema.pattern) {
                errors.append(.invalid(path, value, "\(path) in body should match '\(schema.pattern)'"))
            }
        case .array(let elements):
            if let maximum = schema.maxItems, Int64(elements.count) > maximum {
                errors.append(.invalid(path, value, "\(path) in body should have at most \(maximum) items"))
            }
            if let minimum = schema.minItems, Int64(elements.count) < minimum {
                errors.append(.invalid(path, value, "\(path) in body should have at least \(minimum) items"))
            }
            if let items = schema.items {
                for (index, element) in elements.enumerated() {
                    validate(element, items, path: "\(path)[\(index)]", errors: &errors)
                }
            }
            validateListType(elements, schema, path: path, errors: &errors)
        case .object(let members):
            for key in schema.required where members[key] == nil {
                errors.append(.required("\(path).\(key)", ""))
            }
            for key in members.keys.sorted() {
                guard let childSchema = schema.properties[key] ?? schema.additionalProperties else { continue }
                validate(members[key]!, childSchema, path: "\(path).\(key)", errors: &errors)
            }
        default:
            break
        }
    }

    private static func validateListType(_ elements: [JSONValue], _ schema: JSONSchema, path: String,
                                         errors: inout [FieldError])
    {
        switch schema.listType {
        case "set":
            var seen: [JSONValue] = []
            for (index, element) in elements.enumerated() {
                if seen.contains(element) { errors.append(FieldError(.duplicate, field: "\(path)[\(index)]", value: element, detail: "")) }
                seen.append(element)
            }
        case "map" where !schema.listMapKeys.isEmpty:
            var seen: [[JSONValue?]] = []
            for (index, element) in elements.enumerated() {
                let key = schema.listMapKeys.map { element[$0] }
                if seen.contains(key) {
                    let shown: JSONValue = .object(Dictionary(uniqueKeysWithValues: zip(schema.listMapKeys, key.map { $0 ?? .null })))
                    errors.append(FieldError(.duplicate, field: "\(path)[\(index)]", value: shown, detail: ""))
                }
                seen.append(key)
            }
        default:
            break
        }
    }

    private static func typeMatches(_ value: JSONValue, _ schema: JSONSchema) -> Bool {
        if schema.isIntOrString {
            switch value {
            case .integer, .string: return true
            case .double(let number): return number.rounded() == number
            default: return false
            }
        }
        switch (schema.type, value) {
        case ("", _), ("object", .object), ("array", .array), ("string", .string), ("boolean", .bool),
             ("integer", .integer), ("number", .integer), ("number", .double):
            return true
        case ("integer", .double(let number)):
            return number.rounded() == number
        default:
            return false
        }
    }

    private static func equalNumbers(_ lhs: JSONValue, _ rhs: JSONValue) -> Bool {
        if let left = lhs.integerValue, let right = rhs.integerValue { return left == right }
        return lhs == rhs
    }

    private static func render(_ number: Double) -> String {
        number.rounded() == number && abs(number) < 1e15 ? String(Int64(number)) : String(number)
    }

    private static func matches(_ text: String, pattern: String) -> Bool {
        guard let regex = try? Regex(pattern) else { return true }
        return text.firstMatch(of: regex) != nil
    }
}

/// Members of the structural schema that `JSONSchema` keeps among its unknown fields.
extension JSONSchema {
    var isIntOrString: Bool { unknownFields["x-kubernetes-int-or-string"]?.boolValue == true }
    var isEmbeddedResource: Bool { unknownFields["x-kubernetes-embedded-resource"]?.boolValue == true }
    var exclusiveMinimum: Bool { unknownFields["exclusiveMinimum"]?.boolValue == true }
    var exclusiveMaximum: Bool { unknownFields["exclusiveMaximum"]?.boolValue == true }

    /// The schema of map values (`additionalProperties: {schema}`).
    var additionalProperties: JSONSchema? {
        guard let value = unknownFields["additionalProperties"], case .object = value else { return nil }
        return try? value.decode(as: JSONSchema.self)
    }

    /// `additionalProperties: true`: any member is kept.
    var allowsAnyAdditionalProperties: Bool { unknownFields["additionalProperties"]?.boolValue == true }
}
