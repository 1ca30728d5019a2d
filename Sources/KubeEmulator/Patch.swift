import Foundation
import Kube

/// JSON merge patch (RFC 7386): objects merge member by member, `null` removes, anything else replaces.
enum MergePatch {
    static func apply(_ patch: JSONValue, to target: JSONValue) -> JSONValue {
        guard case .object(let changes) = patch else { return patch }
        var members = target.objectValue ?? [:]
        for (key, change) in changes {
            if change.isNull {
                members[key] = nil
            } else {
                members[key] = apply(change, to: members[key] ?? .null)
            }
        }
        return .object(members)
    }
}

/// JSON patch (RFC 6902): a list of add/remove/replace/move/copy/test operations on JSON pointers.
enum JSONPatch {
    static func apply(_ patch: JSONValue, to target: JSONValue) throws(APIError) -> JSONValue {
        guard let operations = patch.arrayValue else {
            throw APIError.badRequest("a JSON patch must be an array of operations")
        }
        var document = target
        for (index, operation) in operations.enumerated() {
            guard let op = operation["op"]?.stringValue, let path = operation["path"]?.stringValue else {
                throw invalid("operation \(index) needs \"op\" and \"path\"")
            }
            let pointer = try parse(path)
            switch op {
            case "add":
                document = try add(try value(of: operation, index), at: pointer, in: document)
            case "remove":
                document = try remove(at: pointer, in: document).document
            case "replace":
                _ = try get(pointer, in: document)
                document = try remove(at: pointer, in: document).document
                document = try add(try value(of: operation, index), at: pointer, in: document)
            case "move", "copy":
                guard let from = operation["from"]?.stringValue else { throw invalid("operation \(index) (\(op)) needs \"from\"") }
                let source = try parse(from)
                let moved = try get(source, in: document)
                if op == "move" { document = try remove(at: source, in: document).document }
                document = try add(moved, at: pointer, in: document)
            case "test":
                let expected = try value(of: operation, index)
                guard try get(pointer, in: document) == expected else {
                    throw invalid("testing value \(path) failed")
                }
            default:
                throw invalid("Unexpected kind: \(op)")
            }
        }
        return document
    }

    private static func value(of operation: JSONValue, _ index: Int) throws(APIError) -> JSONValue {
        guard let value = operation["value"] else { throw invalid("operation \(index) needs \"value\"") }
        return value
    }

    private static func invalid(_ message: String) -> APIError {
        APIError(code: 422, reason: .invalid, message: "the server rejected our request due to an error in our request: \(message)")
    }

    static func parse(_ pointer: String) throws(APIError) -> [String] {
        if pointer.isEmpty { return [] }
        guard pointer.hasPrefix("/") else { throw invalid("JSON pointer \"\(pointer)\" must start with '/'") }
        return pointer.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map {
            $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
        }
    }

    static func get(_ pointer: [String], in document: JSONValue) throws(APIError) -> JSONValue {
        var current = document
        for token in pointer {
            switch current {
            case .object(let members):
                guard let next = members[token] else { throw invalid("missing path: /\(pointer.joined(separator: "/"))") }
                current = next
            case .array(let elements):
                guard let index = Int(token), elements.indices.contains(index) else {
                    throw invalid("invalid array index \(token) in /\(pointer.joined(separator: "/"))")
                }
                current = elements[index]
            default:
                throw invalid("missing path: /\(pointer.joined(separator: "/"))")
            }
        }
        return current
    }

    private static func add(_ value: JSONValue, at pointer: [String], in document: JSONValue) throws(APIError) -> JSONValue {
        guard let token = pointer.first else { return value }
        let rest = Array(pointer.dropFirst())
        switch document {
        case .object(var members):
            if rest.isEmpty {
                members[token] = value
            } else {
                guard let child = members[token] else { throw invalid("missing path: /\(pointer.joined(separator: "/"))") }
                members[token] = try add(value, at: rest, in: child)
            }
            return .object(members)
        case .array(var elements):
            if rest.isEmpty {
                if token == "-" {
                    elements.append(value)
                } else {
                    guard let index = Int(token), index >= 0, index <= elements.count else {
                        throw invalid("invalid array index \(token)")
                    }
                    elements.insert(value, at: index)
                }
            } else {
                guard let index = Int(token), elements.indices.contains(index) else { throw invalid("invalid array index \(token)") }
                elements[index] = try add(value, at: rest, in: elements[index])
            }
            return .array(elements)
        default:
            throw invalid("cannot add to a \(document.typeName) at \(token)")
        }
    }

    private static func remove(at pointer: [String], in document: JSONValue) throws(APIError)
        -> (document: JSONValue, removed: JSONValue)
    {
        guard let token = pointer.first else { throw invalid("cannot remove the whole document") }
        let rest = Array(pointer.dropFirst())
        switch document {
        case .object(var members):
            guard let child = members[token] else { throw invalid("unable to remove nonexistent key: \(token): missing value") }
            if rest.isEmpty {
                members[token] = nil
                return (.object(members), child)
            }
            let (updated, removed) = try remove(at: rest, in: child)
            members[token] = updated
            return (.object(members), removed)
        case .array(var elements):
            guard let index = Int(token), elements.indices.contains(index) else { throw invalid("invalid array index \(token)") }
            if rest.isEmpty {
                let removed = elements.remove(at: index)
                return (.array(elements), removed)
            }
            let (updated, removed) = try remove(at: rest, in: elements[index])
            elements[index] = updated
            return (.array(elements), removed)
        default:
            throw invalid("cannot remove from a \(document.typeName) at \(token)")
        }
    }
}
