import Kube

/// A parsed `labelSelector` query: requirements that must all hold (`a=b,c!=d,e in (f,g),h,!i`).
struct LabelSelector: Sendable, Equatable {
    enum Operator: Sendable, Equatable {
        case equals, notEquals, isIn, notIn, exists, doesNotExist
    }

    struct Requirement: Sendable, Equatable {
        var key: String
        var op: Operator
        var values: [String]

        func matches(_ labels: [String: String]) -> Bool {
            let value = labels[key]
            switch op {
            case .equals: return value == values.first
            case .notEquals: return value != values.first
            case .isIn: return value.map(values.contains) ?? false
            case .notIn: return value.map { !values.contains($0) } ?? true
            case .exists: return value != nil
            case .doesNotExist: return value == nil
            }
        }
    }

    var requirements: [Requirement] = []

    static let everything = LabelSelector()

    func matches(_ labels: [String: String]) -> Bool { requirements.allSatisfy { $0.matches(labels) } }

    /// Parses the text form kubectl and client-go send.
    init(parsing text: String) throws(APIError) {
        for term in try Self.splitTerms(text) {
            requirements.append(try Self.parseRequirement(term))
        }
    }

    private init() {}

    /// Splits on commas outside parentheses.
    private static func splitTerms(_ text: String) throws(APIError) -> [String] {
        var terms: [String] = []
        var current = ""
        var depth = 0
        for character in text {
            switch character {
            case "(": depth += 1; current.append(character)
            case ")":
                depth -= 1
                guard depth >= 0 else { throw parseError(text, "unbalanced parentheses") }
                current.append(character)
            case "," where depth == 0:
                terms.append(current)
                current = ""
            default: current.append(character)
            }
        }
        guard depth == 0 else { throw parseError(text, "unbalanced parentheses") }
        terms.append(current)
        return terms.map { $0.trimmingSpaces }.filter { !$0.isEmpty }
    }

    private static func parseRequirement(_ term: String) throws(APIError) -> Requirement {
        if term.hasPrefix("!") {
            let key = String(term.dropFirst()).trimmingSpaces
            try validateKey(key, term)
            return Requirement(key: key, op: .doesNotExist, values: [])
        }
        for (token, op) in [("!=", Operator.notEquals), ("==", .equals), ("=", .equals)] {
            if let range = term.range(of: token) {
                let key = String(term[..<range.lowerBound]).trimmingSpaces
                let value = String(term[range.upperBound...]).trimmingSpaces
                try validateKey(key, term)
                try validateValue(value, term)
                return Requirement(key: key, op: op, values: [value])
            }
        }
        let words = term.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true).map(String.init)
        if words.count >= 2, words[1] == "in" || words[1] == "notin" {
            let rest = term.drop { $0 != "(" }
            guard rest.hasPrefix("("), rest.hasSuffix(")") else {
                throw parseError(term, "expected a parenthesised set of values after \(words[1])")
            }
            let values = rest.dropFirst().dropLast().split(separator: ",", omittingEmptySubsequences: false)
                .map { String($0).trimmingSpaces }
            for value in values { try validateValue(value, term) }
            try validateKey(words[0], term)
            return Requirement(key: words[0], op: words[1] == "in" ? .isIn : .notIn, values: values)
        }
        guard words.count == 1 else { throw parseError(term, "found '\(words[1])', expected: in, notin, =, ==, !=") }
        try validateKey(term, term)
        return Requirement(key: term, op: .exists, values: [])
    }

    private static func validateKey(_ key: String, _ term: String) throws(APIError) {
        if let problem = LabelValidation.keyProblem(key) { throw parseError(term, "invalid label key \"\(key)\": \(problem)") }
    }

    private static func validateValue(_ value: String, _ term: String) throws(APIError) {
        if let problem = LabelValidation.valueProblem(value) {
            throw parseError(term, "invalid label value: \"\(value)\": \(problem)")
        }
    }

    private static func parseError(_ term: String, _ detail: String) -> APIError {
        .badRequest("unable to parse requirement: \(term): \(detail)")
    }
}

/// A parsed `fieldSelector`: `field=value`, `field==value` or `field!=value` terms that must all hold.
struct FieldSelector: Sendable {
    struct Requirement: Sendable {
        var path: [String]
        var value: String
        var negated: Bool
    }

    var requirements: [Requirement] = []

    static let everything = FieldSelector()

    private init() {}

    /// Parses the selector, rejecting labels the resource does not index (as the API server does with 400).
    init(parsing text: String, for resource: ResourceType) throws(APIError) {
        for term in Self.splitUnescaped(text, on: ",") where !term.isEmpty {
            let negated: Bool
            let parts: [String]
            if let range = term.range(of: "!=") {
                negated = true
                parts = [String(term[..<range.lowerBound]), String(term[range.upperBound...])]
            } else if let range = term.range(of: "==") {
                negated = false
                parts = [String(term[..<range.lowerBound]), String(term[range.upperBound...])]
            } else if let range = term.range(of: "=") {
                negated = false
                parts = [String(term[..<range.lowerBound]), String(term[range.upperBound...])]
            } else {
                throw APIError.badRequest("invalid selector: '\(text)'; can't understand '\(term)'")
            }
            let label = parts[0].trimmingSpaces
            guard let path = resource.fieldPath(for: label) else {
                throw APIError.badRequest("field label not supported: \(label)")
            }
            requirements.append(Requirement(path: path, value: Self.unescape(parts[1]), negated: negated))
        }
    }

    func matches(_ object: JSONValue) -> Bool {
        requirements.allSatisfy { requirement in
            let found: String
            switch object[path: requirement.path] {
            case .string(let text): found = text
            case .bool(let flag): found = flag ? "true" : "false"
            case .integer(let number): found = String(number)
            case nil, .null: found = ""
            case let other?: found = other.plainText
            }
            return (found == requirement.value) != requirement.negated
        }
    }

    private static func splitUnescaped(_ text: String, on separator: Character) -> [String] {
        var parts: [String] = []
        var current = ""
        var escaped = false
        for character in text {
            if escaped {
                current.append("\\")
                current.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == separator {
                parts.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        parts.append(current)
        return parts
    }

    private static func unescape(_ text: String) -> String {
        var result = ""
        var escaped = false
        for character in text {
            if escaped || character != "\\" {
                result.append(character)
                escaped = false
            } else {
                escaped = true
            }
        }
        return result
    }
}

extension String {
    var trimmingSpaces: String {
        var slice = Substring(self)
        while slice.first == " " { slice = slice.dropFirst() }
        while slice.last == " " { slice = slice.dropLast() }
        return String(slice)
    }
}
