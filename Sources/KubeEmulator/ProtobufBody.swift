import Foundation
import Kube

/// Reads the Kubernetes protobuf encoding of request bodies for the kinds kubectl's generators create
/// (`kubectl create namespace|secret|configmap|serviceaccount|role|clusterrole|rolebinding|clusterrolebinding|token`):
/// kubectl sends those as `application/vnd.kubernetes.protobuf` and does not retry with JSON on 415. Answers stay
/// JSON, which kubectl accepts as well. Other kinds in protobuf are answered 415.
///
/// The envelope is the magic `k8s\0` and a `runtime.Unknown` (1: TypeMeta{1: apiVersion, 2: kind}, 2: raw object);
/// the field numbers below are those of the Kubernetes `generated.proto` files.
enum ProtobufBody {
    indirect enum FieldType {
        case string, bytes, int64, bool, time
        case message(Message)
        case stringMap, bytesMap
        case repeated(FieldType)
    }

    struct Message {
        var fields: [Int: (name: String, type: FieldType)]
    }

    static func decode(_ body: [UInt8]) throws(APIError) -> JSONValue {
        guard body.count >= 4, Array(body[0..<4]) == [0x6B, 0x38, 0x73, 0x00] else {
            throw APIError.badRequest("protobuf body without the k8s envelope")
        }
        var unknown = Reader(bytes: body[4...])
        var apiVersion = ""
        var kind = ""
        var raw: ArraySlice<UInt8> = []
        while let (field, value) = try unknown.next() {
            switch (field, value) {
            case (1, .bytes(let typeMeta)):
                var reader = Reader(bytes: typeMeta)
                while let (member, content) = try reader.next() {
                    if case .bytes(let text) = content {
                        if member == 1 { apiVersion = String(decoding: text, as: UTF8.self) }
                        if member == 2 { kind = String(decoding: text, as: UTF8.self) }
                    }
                }
            case (2, .bytes(let bytes)): raw = bytes
            default: break
            }
        }
        guard let message = messages["\(apiVersion)/\(kind)"] else {
            throw APIError.unsupportedMediaType("application/vnd.kubernetes.protobuf (\(kind) \(apiVersion))")
        }
        var object = try decode(raw, as: message)
        object[path: ["apiVersion"]] = .string(apiVersion)
        object[path: ["kind"]] = .string(kind)
        return object
    }

    private static func decode(_ bytes: ArraySlice<UInt8>, as message: Message) throws(APIError) -> JSONValue {
        var members: [String: JSONValue] = [:]
        var reader = Reader(bytes: bytes)
        while let (number, value) = try reader.next() {
            guard let (name, type) = message.fields[number] else { continue }
            switch type {
            case .repeated(let element):
                var list = members[name]?.arrayValue ?? []
                list.append(try scalar(value, as: element))
                members[name] = .array(list)
            case .stringMap, .bytesMap:
                guard case .bytes(let entry) = value else { throw malformed(name) }
                var entryReader = Reader(bytes: entry)
                var key = ""
                var item: JSONValue = .string("")
                while let (member, content) = try entryReader.next() {
                    guard case .bytes(let data) = content else { continue }
                    if member == 1 { key = String(decoding: data, as: UTF8.self) }
                    if member == 2 {
                        item = .string(type.isBytesMap ? Data(data).base64EncodedString() : String(decoding: data, as: UTF8.self))
                    }
                }
                var map = members[name]?.objectValue ?? [:]
                map[key] = item
                members[name] = .object(map)
            default:
                // Go leaves empty strings out of the JSON (`omitempty`); protobuf carries them.
                let decoded = try scalar(value, as: type)
                if decoded != .string("") { members[name] = decoded }
            }
        }
        return .object(members)
    }

    private static func scalar(_ value: Reader.Value, as type: FieldType) throws(APIError) -> JSONValue {
        switch (type, value) {
        case (.string, .bytes(let data)): return .string(String(decoding: data, as: UTF8.self))
        case (.bytes, .bytes(let data)): return .string(Data(data).base64EncodedString())
        case (.int64, .varint(let number)): return .integer(Int64(bitPattern: number))
        case (.bool, .varint(let number)): return .bool(number != 0)
        case (.message(let message), .bytes(let data)): return try decode(data, as: message)
        case (.time, .bytes(let data)):
            var reader = Reader(bytes: data)
            var seconds: Int64 = 0
            while let (member, content) = try reader.next() {
                if member == 1, case .varint(let number) = content { seconds = Int64(bitPattern: number) }
            }
            return .string(Timestamp(secondsSince1970: seconds).description)
        default:
            throw malformed("\(type)")
        }
    }

    private static func malformed(_ what: String) -> APIError {
        APIError.badRequest("malformed protobuf body near \(what)")
    }

    /// A protobuf wire-format reader.
    struct Reader {
        enum Value {
            case varint(UInt64)
            case bytes(ArraySlice<UInt8>)
            case fixed
        }

        var bytes: ArraySlice<UInt8>

        mutating func next() throws(APIError) -> (Int, Value)? {
            guard !bytes.isEmpty else { return nil }
            let key = try varint()
            let field = Int(key >> 3)
            switch key & 7 {
            case 0: return (field, .varint(try varint()))
            case 1: try skip(8); return (field, .fixed)
            case 2:
                let length = Int(try varint())
                guard length >= 0, length <= bytes.count else { throw ProtobufBody.malformed("field \(field)") }
                let data = bytes.prefix(length)
                bytes = bytes.dropFirst(length)
                return (field, .bytes(data))
            case 5: try skip(4); return (field, .fixed)
            default: throw ProtobufBody.malformed("field \(field)")
            }
        }

        private mutating func skip(_ count: Int) throws(APIError) {
            guard bytes.count >= count else { throw ProtobufBody.malformed("a fixed-size field") }
            bytes = bytes.dropFirst(count)
        }

        private mutating func varint() throws(APIError) -> UInt64 {
            var result: UInt64 = 0
            var shift: UInt64 = 0
            while let byte = bytes.first {
                bytes = bytes.dropFirst()
                result |= UInt64(byte & 0x7F) << shift
                if byte & 0x80 == 0 { return result }
                shift += 7
                if shift > 63 { break }
            }
            throw ProtobufBody.malformed("a varint")
        }
    }

    // MARK: Schemas

    private static let ownerReference = Message(fields: [
        1: ("kind", .string), 3: ("name", .string), 4: ("uid", .string), 5: ("apiVersion", .string),
        6: ("controller", .bool), 7: ("blockOwnerDeletion", .bool),
    ])

    private static let objectMeta = Message(fields: [
        1: ("name", .string), 2: ("generateName", .string), 3: ("namespace", .string), 5: ("uid", .string),
        6: ("resourceVersion", .string), 7: ("generation", .int64), 8: ("creationTimestamp", .time),
        9: ("deletionTimestamp", .time), 10: ("deletionGracePeriodSeconds", .int64), 11: ("labels", .stringMap),
        12: ("annotations", .stringMap), 13: ("ownerReferences", .repeated(.message(ownerReference))),
        14: ("finalizers", .repeated(.string)),
    ])

    private static let objectReference = Message(fields: [
        1: ("kind", .string), 2: ("namespace", .string), 3: ("name", .string), 4: ("uid", .string),
        5: ("apiVersion", .string), 6: ("resourceVersion", .string), 7: ("fieldPath", .string),
    ])

    private static let policyRule = Message(fields: [
        1: ("verbs", .repeated(.string)), 2: ("apiGroups", .repeated(.string)), 3: ("resources", .repeated(.string)),
        4: ("resourceNames", .repeated(.string)), 5: ("nonResourceURLs", .repeated(.string)),
    ])

    private static let binding = Message(fields: [
        1: ("metadata", .message(objectMeta)),
        2: ("subjects", .repeated(.message(Message(fields: [
            1: ("kind", .string), 2: ("apiGroup", .string), 3: ("name", .string), 4: ("namespace", .string),
        ])))),
        3: ("roleRef", .message(Message(fields: [1: ("apiGroup", .string), 2: ("kind", .string), 3: ("name", .string)]))),
    ])

    private static let role = Message(fields: [
        1: ("metadata", .message(objectMeta)), 2: ("rules", .repeated(.message(policyRule))),
    ])

    private static let messages: [String: Message] = [
        "v1/Namespace": Message(fields: [
            1: ("metadata", .message(objectMeta)),
            2: ("spec", .message(Message(fields: [1: ("finalizers", .repeated(.string))]))),
            3: ("status", .message(Message(fields: [1: ("phase", .string)]))),
        ]),
        "v1/Secret": Message(fields: [
            1: ("metadata", .message(objectMeta)), 2: ("data", .bytesMap), 3: ("type", .string),
            4: ("stringData", .stringMap), 5: ("immutable", .bool),
        ]),
        "v1/ConfigMap": Message(fields: [
            1: ("metadata", .message(objectMeta)), 2: ("data", .stringMap), 3: ("binaryData", .bytesMap),
            4: ("immutable", .bool),
        ]),
        "v1/ServiceAccount": Message(fields: [
            1: ("metadata", .message(objectMeta)), 2: ("secrets", .repeated(.message(objectReference))),
            3: ("imagePullSecrets", .repeated(.message(Message(fields: [1: ("name", .string)])))),
            4: ("automountServiceAccountToken", .bool),
        ]),
        "authentication.k8s.io/v1/TokenRequest": Message(fields: [
            1: ("metadata", .message(objectMeta)),
            2: ("spec", .message(Message(fields: [
                1: ("audiences", .repeated(.string)), 4: ("expirationSeconds", .int64),
                3: ("boundObjectRef", .message(Message(fields: [
                    1: ("kind", .string), 2: ("apiVersion", .string), 3: ("name", .string), 4: ("uid", .string),
                ]))),
            ]))),
        ]),
        "rbac.authorization.k8s.io/v1/Role": role,
        "rbac.authorization.k8s.io/v1/ClusterRole": role,
        "rbac.authorization.k8s.io/v1/RoleBinding": binding,
        "rbac.authorization.k8s.io/v1/ClusterRoleBinding": binding,
    ]
}

extension ProtobufBody.FieldType {
    var isBytesMap: Bool {
        if case .bytesMap = self { return true }
        return false
    }
}
