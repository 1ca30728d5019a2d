import Yams

/// Manifest YAML for Kubernetes objects, laid out as controller-gen and kubectl write it: keys sorted, block style,
/// and strings quoted whenever they would otherwise read back as another type (`'true'`, `'6000'`). Lines are not
/// wrapped, so that a long CEL rule or description stays on one line and diffs stay readable.
public enum YAMLRendering {
    /// One YAML document (starting with `---`) for `value`.
    public static func document(_ value: JSONValue) throws -> String {
        try serialize(node: node(value), width: -1, explicitStart: true, sortKeys: true)
    }

    /// One YAML document for an encodable object.
    public static func document(_ object: some Encodable) throws -> String {
        try document(JSONValue(encoding: object))
    }

    private static func node(_ value: JSONValue) -> Yams.Node {
        switch value {
        case .null: Yams.Node("null", Tag(.null))
        case .bool(let flag): Yams.Node(flag ? "true" : "false", Tag(.bool))
        case .integer(let number): Yams.Node(String(number), Tag(.int))
        case .double(let number): Yams.Node(String(number), Tag(.float))
        case .string(let text): .scalar(text.represented())
        case .array(let elements): .sequence(Yams.Node.Sequence(elements.map(node)))
        case .object(let members):
            .mapping(Yams.Node.Mapping(members.sorted { $0.key < $1.key }.map { (.scalar($0.key.represented()), node($0.value)) }))
        }
    }
}
