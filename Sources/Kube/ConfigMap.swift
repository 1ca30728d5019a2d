import Foundation

/// core/v1 ConfigMap.
public struct ConfigMap: KubernetesObject, Hashable {
    public static let resource = ResourceDescriptor.configMap

    public var metadata = ObjectMeta()
    public var data: [String: String] = [:]
    public var binaryData: [String: Data] = [:]
    public var immutable: Bool?
    public var unknownFields: [String: JSONValue] = [:]

    public init() {}

    public init(metadata: ObjectMeta, data: [String: String] = [:]) {
        self.metadata = metadata
        self.data = data
    }

    public static let codingFields: [CodingField<ConfigMap>] = objectFields() + [
        .omitEmpty("data", \.data),
        .base64Map("binaryData", \.binaryData),
        .optional("immutable", \.immutable),
    ]
}
