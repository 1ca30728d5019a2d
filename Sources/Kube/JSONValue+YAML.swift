import Yams

extension JSONValue {
    /// A YAML node as JSON, resolved by YAML's rules for plain scalars only: a quoted `"true"` or
    /// `"1"` stays a string, as kubectl reads it (Yams' Decodable path would read it as a Bool or a number).
    public init(yaml node: Yams.Node) {
        switch node {
        case .scalar(let scalar):
            guard scalar.style == .plain || scalar.style == .any else {
                self = .string(scalar.string)
                return
            }
            if ["", "~", "null", "Null", "NULL"].contains(scalar.string) {
                self = .null
            } else if let flag = Bool.construct(from: scalar) {
                self = .bool(flag)
            } else if let number = Int64(scalar.string) {
                self = .integer(number)
            } else if let number = Double.construct(from: scalar) {
                self = .double(number)
            } else {
                self = .string(scalar.string)
            }
        case .mapping(let mapping):
            self = .object(Dictionary(mapping.map { ($0.key.string ?? "", JSONValue(yaml: $0.value)) },
                                      uniquingKeysWith: { first, _ in first }))
        case .sequence(let sequence):
            self = .array(sequence.map { JSONValue(yaml: $0) })
        }
    }
}
