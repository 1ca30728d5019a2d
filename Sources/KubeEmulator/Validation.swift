import Kube

/// Name and label rules of the API server, with its wording, so that a client sees the same `Invalid` answers.
enum NameValidation {
    static let subdomainMessage =
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start"
        + " and end with an alphanumeric character (e.g. 'example.com', regex used for validation is"
        + " '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
    static let labelMessage =
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end"
        + " with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is"
        + " '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"

    private static func isLowerAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
    }

    static func isAlphanumeric(_ byte: UInt8) -> Bool {
        isLowerAlphanumeric(byte) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
    }

    /// RFC 1123 label: at most 63 lower-case alphanumerics or '-', alphanumeric at both ends.
    static func isDNSLabel(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty, bytes.count <= 63, isLowerAlphanumeric(bytes.first!), isLowerAlphanumeric(bytes.last!)
        else { return false }
        return bytes.allSatisfy { isLowerAlphanumeric($0) || $0 == UInt8(ascii: "-") }
    }

    /// RFC 1123 subdomain: dot-separated labels, at most 253 characters.
    static func isDNSSubdomain(_ text: String) -> Bool {
        guard !text.isEmpty, text.utf8.count <= 253 else { return false }
        return text.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { part in
            let bytes = Array(part.utf8)
            guard !bytes.isEmpty, isLowerAlphanumeric(bytes.first!), isLowerAlphanumeric(bytes.last!) else { return false }
            return bytes.allSatisfy { isLowerAlphanumeric($0) || $0 == UInt8(ascii: "-") }
        }
    }

    /// The problem with an object name, or nil; `pathSegment` names (RBAC) only exclude what breaks a URL.
    static func problem(name: String, dnsLabel: Bool, pathSegment: Bool) -> String? {
        if pathSegment {
            if name == "." || name == ".." { return "may not be '\(name)'" }
            if name.contains("/") { return "may not contain '/'" }
            if name.contains("%") { return "may not contain '%'" }
            return nil
        }
        if dnsLabel { return isDNSLabel(name) ? nil : labelMessage }
        return isDNSSubdomain(name) ? nil : subdomainMessage
    }
}

/// Label keys and values.
enum LabelValidation {
    private static func isQualifiedNamePart(_ text: Substring) -> Bool {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty, bytes.count <= 63, NameValidation.isAlphanumeric(bytes.first!),
              NameValidation.isAlphanumeric(bytes.last!)
        else { return false }
        return bytes.allSatisfy {
            NameValidation.isAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".")
        }
    }

    /// The problem with a qualified name (`prefix/name` or `name`), or nil.
    static func keyProblem(_ key: String) -> String? {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2 else {
            return "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end"
                + " with an alphanumeric character with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        }
        if parts.count == 2, !NameValidation.isDNSSubdomain(String(parts[0])) {
            return "prefix part " + NameValidation.subdomainMessage
        }
        guard let name = parts.last, isQualifiedNamePart(name) else {
            return "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an"
                + " alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is"
                + " '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
        }
        return nil
    }

    /// The problem with a label value (empty is allowed), or nil.
    static func valueProblem(_ value: String) -> String? {
        if value.isEmpty || isQualifiedNamePart(Substring(value)) { return nil }
        if value.utf8.count > 63 { return "must be no more than 63 characters" }
        return "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must"
            + " start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used"
            + " for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
    }
}

/// The checks every object's metadata gets, whatever its kind.
enum MetadataValidation {
    static func errors(_ object: JSONValue, resource: ResourceType) -> [FieldError] {
        var errors: [FieldError] = []
        let name = object.name
        if name.isEmpty {
            errors.append(.required("metadata.name", "name or generateName is required"))
        } else if let problem = NameValidation.problem(
            name: name, dnsLabel: resource.key == ResourceType.namespaceKey, pathSegment: resource.pathSegmentNames)
        {
            errors.append(.invalid("metadata.name", .string(name), problem))
        }
        for (key, value) in object.labels.sorted(by: { $0.key < $1.key }) {
            if let problem = LabelValidation.keyProblem(key) {
                errors.append(.invalid("metadata.labels", .string(key), problem))
            }
            if let problem = LabelValidation.valueProblem(value) {
                errors.append(.invalid("metadata.labels", .string(value), problem))
            }
        }
        for member in ["labels", "annotations"] {
            for (key, value) in object["metadata"]?[member]?.objectValue ?? [:] where value.stringValue == nil {
                errors.append(.invalid("metadata.\(member).\(key)", value, "must be a string"))
            }
        }
        for key in object.annotations.keys.sorted() {
            if let problem = LabelValidation.keyProblem(key.lowercased()) {
                errors.append(.invalid("metadata.annotations", .string(key), problem))
            }
        }
        for (index, reference) in object.ownerReferences.enumerated() {
            for member in ["apiVersion", "kind", "name", "uid"] where (reference[member]?.stringValue ?? "").isEmpty {
                errors.append(.invalid("metadata.ownerReferences[\(index)].\(member)", reference[member] ?? .string(""),
                                       "\(member) must not be empty"))
            }
        }
        if object.ownerReferences.filter({ $0["controller"]?.boolValue == true }).count > 1 {
            errors.append(.invalid("metadata.ownerReferences", .array(object.ownerReferences),
                                   "Only one reference can have Controller set to true"))
        }
        for (index, finalizer) in object.finalizers.enumerated() {
            if let problem = LabelValidation.keyProblem(finalizer) {
                errors.append(.invalid("metadata.finalizers[\(index)]", .string(finalizer), problem))
            }
        }
        return errors
    }
}
