import Foundation
import Kube

/// The meta.k8s.io/v1 `Table` form `kubectl get` asks for: the columns kube-apiserver prints for the built-in kinds,
/// and for custom resources the CRD's `additionalPrinterColumns` between Name and Age.
struct TableConverter: Sendable {
    struct Column: Sendable {
        var name: String
        var type: String
        var format = ""
        var description = ""
        var priority = 0
        var cell: @Sendable (JSONValue) -> JSONValue
    }

    var columns: [Column]

    init(resource: ResourceType, version: String) {
        let name = Column(name: "Name", type: "string", format: "name",
                          description: "Name must be unique within a namespace.") { .string($0.name) }
        let age = Column(name: "Age", type: "string", description: "CreationTimestamp is a timestamp representing the server time when this object was created.") {
            .string(Self.age(of: $0["metadata"]?["creationTimestamp"]?.stringValue))
        }
        if resource.isCustom {
            let printer = resource.printerColumns[version] ?? []
            var columns = [name]
            for column in printer {
                let path = column.jsonPath
                let type = column.type
                columns.append(Column(name: column.name, type: type == "date" ? "date" : type, format: column.format,
                                      description: column.description, priority: Int(column.priority)) { object in
                    let values = SimpleJSONPath.evaluate(path, on: object)
                    guard !values.isEmpty else { return .null }
                    if type == "date", let text = values.first?.stringValue { return .string(Self.age(of: text)) }
                    if values.count == 1 {
                        switch values[0] {
                        case .string, .integer, .double, .bool: return values[0]
                        default: return .string(values[0].plainText)
                        }
                    }
                    return .string(values.map(\.plainText).joined(separator: ","))
                })
            }
            if !printer.contains(where: { $0.name == "Age" }) { columns.append(age) }
            self.columns = columns
            return
        }
        // Events lead with when they were last seen; their name is only in `-o wide`.
        if resource.key == ResourceType.eventKey {
            var hidden = name
            hidden.priority = 1
            columns = Self.builtInColumns(resource.key, age: age) + [hidden]
            return
        }
        columns = [name] + Self.builtInColumns(resource.key, age: age)
    }

    private static func text(_ path: [String]) -> @Sendable (JSONValue) -> JSONValue {
        { object in
            guard let value = object[path: path], !value.isNull else { return "<none>" }
            return .string(value.plainText)
        }
    }

    private static func builtInColumns(_ key: ResourceKey, age: Column) -> [Column] {
        switch (key.group, key.plural) {
        case ("", "namespaces"):
            return [Column(name: "Status", type: "string", cell: text(["status", "phase"])), age]
        case ("", "pods"):
            return [
                Column(name: "Ready", type: "string") { pod in
                    let statuses = pod["status"]?["containerStatuses"]?.arrayValue ?? []
                    let total = pod["spec"]?["containers"]?.arrayValue?.count ?? 0
                    let ready = statuses.filter { $0["ready"]?.boolValue == true }.count
                    return .string("\(ready)/\(total)")
                },
                Column(name: "Status", type: "string") { pod in
                    .string(pod.isBeingDeleted ? "Terminating"
                        : pod["status"]?["reason"]?.stringValue ?? pod["status"]?["phase"]?.stringValue ?? "Unknown")
                },
                Column(name: "Restarts", type: "string") { pod in
                    let statuses = pod["status"]?["containerStatuses"]?.arrayValue ?? []
                    return .string(String(statuses.reduce(0) { $0 + ($1["restartCount"]?.integerValue ?? 0) }))
                },
                age,
                Column(name: "IP", type: "string", priority: 1, cell: text(["status", "podIP"])),
                Column(name: "Node", type: "string", priority: 1, cell: text(["spec", "nodeName"])),
                Column(name: "Nominated Node", type: "string", priority: 1, cell: text(["status", "nominatedNodeName"])),
                Column(name: "Readiness Gates", type: "string", priority: 1) { _ in "<none>" },
            ]
        case ("", "nodes"):
            return [
                Column(name: "Status", type: "string") { node in
                    let ready = (node["status"]?["conditions"]?.arrayValue ?? []).first { $0["type"] == "Ready" }
                    var status = ready?["status"] == "True" ? "Ready" : (ready == nil ? "Unknown" : "NotReady")
                    if node["spec"]?["unschedulable"]?.boolValue == true { status += ",SchedulingDisabled" }
                    return .string(status)
                },
                Column(name: "Roles", type: "string") { node in
                    let roles = node.labels.keys.filter { $0.hasPrefix("node-role.kubernetes.io/") }
                        .map { String($0.dropFirst("node-role.kubernetes.io/".count)) }.sorted()
                    return .string(roles.isEmpty ? "<none>" : roles.joined(separator: ","))
                },
                age,
                Column(name: "Version", type: "string", cell: text(["status", "nodeInfo", "kubeletVersion"])),
                Column(name: "Internal-IP", type: "string", priority: 1) { node in
                    let address = (node["status"]?["addresses"]?.arrayValue ?? []).first { $0["type"] == "InternalIP" }
                    return .string(address?["address"]?.stringValue ?? "<none>")
                },
                Column(name: "External-IP", type: "string", priority: 1) { node in
                    let address = (node["status"]?["addresses"]?.arrayValue ?? []).first { $0["type"] == "ExternalIP" }
                    return .string(address?["address"]?.stringValue ?? "<none>")
                },
                Column(name: "OS-Image", type: "string", priority: 1, cell: text(["status", "nodeInfo", "osImage"])),
                Column(name: "Kernel-Version", type: "string", priority: 1, cell: text(["status", "nodeInfo", "kernelVersion"])),
                Column(name: "Container-Runtime", type: "string", priority: 1,
                       cell: text(["status", "nodeInfo", "containerRuntimeVersion"])),
            ]
        case ("", "secrets"):
            return [
                Column(name: "Type", type: "string", cell: text(["type"])),
                Column(name: "Data", type: "string") { secret in
                    .string(String((secret["data"]?.objectValue?.count ?? 0)))
                },
                age,
            ]
        case ("", "configmaps"):
            return [
                Column(name: "Data", type: "string") { map in
                    .string(String((map["data"]?.objectValue?.count ?? 0) + (map["binaryData"]?.objectValue?.count ?? 0)))
                },
                age,
            ]
        case ("", "serviceaccounts"):
            return [
                Column(name: "Secrets", type: "string") { account in
                    .string(String(account["secrets"]?.arrayValue?.count ?? 0))
                },
                age,
            ]
        case ("", "events"):
            return [
                Column(name: "Last Seen", type: "string") { event in
                    let time = event["lastTimestamp"]?.stringValue ?? event["eventTime"]?.stringValue
                        ?? event["metadata"]?["creationTimestamp"]?.stringValue
                    return .string(Self.age(of: time))
                },
                Column(name: "Type", type: "string", cell: text(["type"])),
                Column(name: "Reason", type: "string", cell: text(["reason"])),
                Column(name: "Object", type: "string") { event in
                    let kind = (event["involvedObject"]?["kind"]?.stringValue ?? "").lowercased()
                    return .string("\(kind)/\(event["involvedObject"]?["name"]?.stringValue ?? "")")
                },
                Column(name: "Subobject", type: "string", priority: 1, cell: text(["involvedObject", "fieldPath"])),
                Column(name: "Source", type: "string", priority: 1) { event in
                    .string(event["source"]?["component"]?.stringValue ?? event["reportingComponent"]?.stringValue ?? "")
                },
                Column(name: "Message", type: "string", cell: text(["message"])),
                Column(name: "First Seen", type: "string", priority: 1) { event in
                    .string(Self.age(of: event["firstTimestamp"]?.stringValue ?? event["eventTime"]?.stringValue))
                },
                Column(name: "Count", type: "string", priority: 1) { event in
                    .string(String(event["count"]?.integerValue ?? event["series"]?["count"]?.integerValue ?? 1))
                },
            ]
        case ("coordination.k8s.io", "leases"):
            return [Column(name: "Holder", type: "string", cell: text(["spec", "holderIdentity"])), age]
        case ("rbac.authorization.k8s.io", "rolebindings"), ("rbac.authorization.k8s.io", "clusterrolebindings"):
            return [
                Column(name: "Role", type: "string") { binding in
                    .string("\(binding["roleRef"]?["kind"]?.stringValue ?? "")/\(binding["roleRef"]?["name"]?.stringValue ?? "")")
                },
                age,
            ]
        case ("apiextensions.k8s.io", "customresourcedefinitions"), ("rbac.authorization.k8s.io", _):
            return [Column(name: "Created At", type: "date") { object in
                object["metadata"]?["creationTimestamp"] ?? .null
            }]
        default:
            return [age]
        }
    }

    /// A Table of `objects`; `includeObject` is `None`, `Metadata` (the default) or `Object`.
    func table(_ objects: [JSONValue], version: String, apiVersion: String, includeObject: String,
               listMeta: JSONValue, withColumns: Bool = true) -> JSONValue
    {
        var table: [String: JSONValue] = ["kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": listMeta]
        table["columnDefinitions"] = withColumns ? .array(columns.map { column in
            ["name": .string(column.name), "type": .string(column.type), "format": .string(column.format),
             "description": .string(column.description), "priority": .integer(Int64(column.priority))]
        }) : nil
        table["rows"] = .array(objects.map { object in
            var row: [String: JSONValue] = ["cells": .array(columns.map { $0.cell(object) })]
            switch includeObject {
            case "None": break
            case "Object": row["object"] = object
            default:
                row["object"] = ["kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                                 "metadata": object["metadata"] ?? .object([:])]
            }
            return .object(row)
        })
        return .object(table)
    }

    /// Age as kubectl prints it (`45s`, `3m12s`, `5h`, `2d3h`, `400d`).
    static func age(of timestamp: String?) -> String {
        guard let timestamp, let time = try? Timestamp(rfc3339: timestamp) else { return "<unknown>" }
        let seconds = Int64(Date().timeIntervalSince1970) - time.secondsSince1970
        if seconds < -1 { return "<invalid>" }
        if seconds < 0 { return "0s" }
        if seconds < 120 { return "\(seconds)s" }
        let minutes = seconds / 60
        if minutes < 10 { return seconds % 60 == 0 ? "\(minutes)m" : "\(minutes)m\(seconds % 60)s" }
        if minutes < 180 { return "\(minutes)m" }
        let hours = minutes / 60
        if hours < 8 { return minutes % 60 == 0 ? "\(hours)h" : "\(hours)h\(minutes % 60)m" }
        if hours < 48 { return "\(hours)h" }
        if hours < 24 * 8 { return hours % 24 == 0 ? "\(hours / 24)d" : "\(hours / 24)d\(hours % 24)h" }
        if hours < 24 * 365 * 2 { return "\(hours / 24)d" }
        let years = hours / 24 / 365
        if years < 8 { return "\(years)y\((hours / 24) % 365)d" }
        return "\(years)y"
    }
}

/// The JSONPath subset printer columns use: `.a.b`, `.a[0]`, `.a[*].b` and `.a[?(@.k=="v")].b`.
enum SimpleJSONPath {
    static func evaluate(_ path: String, on object: JSONValue) -> [JSONValue] {
        var text = path.trimmingSpaces
        if text.hasPrefix("{") && text.hasSuffix("}") { text = String(text.dropFirst().dropLast()) }
        if text.hasPrefix("$") { text.removeFirst() }
        var current = [object]
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            if character == "." {
                index = text.index(after: index)
                let end = text[index...].firstIndex { $0 == "." || $0 == "[" } ?? text.endIndex
                let name = String(text[index..<end])
                index = end
                if name.isEmpty { continue }
                current = current.compactMap { $0[name] }
            } else if character == "[" {
                guard let close = closingBracket(in: text, from: index) else { return [] }
                let inner = String(text[text.index(after: index)..<close])
                index = text.index(after: close)
                current = current.flatMap { select(inner, from: $0) }
            } else {
                let end = text[index...].firstIndex { $0 == "." || $0 == "[" } ?? text.endIndex
                let name = String(text[index..<end])
                index = end
                current = current.compactMap { $0[name] }
            }
        }
        return current
    }

    private static func closingBracket(in text: String, from start: String.Index) -> String.Index? {
        var depth = 0
        var index = start
        while index < text.endIndex {
            if text[index] == "[" { depth += 1 }
            if text[index] == "]" {
                depth -= 1
                if depth == 0 { return index }
            }
            index = text.index(after: index)
        }
        return nil
    }

    private static func select(_ selector: String, from value: JSONValue) -> [JSONValue] {
        guard let elements = value.arrayValue else { return [] }
        if selector == "*" { return elements }
        if let position = Int(selector) {
            let resolved = position < 0 ? elements.count + position : position
            return elements.indices.contains(resolved) ? [elements[resolved]] : []
        }
        if selector.hasPrefix("?(@."), selector.hasSuffix(")") {
            let condition = selector.dropFirst(4).dropLast()
            let parts = condition.components(separatedBy: "==")
            guard parts.count == 2 else { return [] }
            let key = parts[0].trimmingSpaces
            var expected = parts[1].trimmingSpaces
            if expected.count >= 2, let first = expected.first, first == "\"" || first == "'" {
                expected = String(expected.dropFirst().dropLast())
            }
            return elements.filter { element in
                guard let found = element[path: key.split(separator: ".").map(String.init)] else { return false }
                return found.plainText == expected
            }
        }
        return []
    }
}
