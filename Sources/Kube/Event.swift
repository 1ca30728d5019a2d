/// core/v1 Event: what a controller reports about an object (`kubectl describe` shows them).
///
/// The Event recorder aggregates repeats by raising `count` and `lastTimestamp` instead of creating new objects.
public struct Event: KubernetesObject, Hashable {
    public static let resource = ResourceDescriptor.event

    public var metadata = ObjectMeta()
    public var involvedObject = ObjectReference()
    /// Short CamelCase reason, such as `InvalidSpec`.
    public var reason = ""
    public var message = ""
    public var source = EventSource()
    public var firstTimestamp: Timestamp?
    public var lastTimestamp: Timestamp?
    public var count: Int32 = 0
    /// `Normal` or `Warning`.
    public var type = ""
    public var eventTime: MicroTimestamp?
    public var reportingComponent = ""
    public var reportingInstance = ""
    public var action = ""
    public var unknownFields: [String: JSONValue] = [:]

    public init() {}

    public static let normal = "Normal"
    public static let warning = "Warning"

    public static let codingFields: [CodingField<Event>] = objectFields() + [
        .always("involvedObject", \.involvedObject),
        .omitEmpty("reason", \.reason),
        .omitEmpty("message", \.message),
        .always("source", \.source),
        .optional("firstTimestamp", \.firstTimestamp),
        .optional("lastTimestamp", \.lastTimestamp),
        .omitEmpty("count", \.count),
        .omitEmpty("type", \.type),
        .optional("eventTime", \.eventTime),
        .omitEmpty("reportingComponent", \.reportingComponent),
        .omitEmpty("reportingInstance", \.reportingInstance),
        .omitEmpty("action", \.action),
    ]
}

/// The component (and host) that reported an event.
public struct EventSource: PreservingCodable, Hashable {
    public var component = ""
    public var host = ""
    public var unknownFields: [String: JSONValue] = [:]

    public init() {}

    public init(component: String, host: String = "") {
        self.component = component
        self.host = host
    }

    public static let codingFields: [CodingField<EventSource>] = [
        .omitEmpty("component", \.component),
        .omitEmpty("host", \.host),
    ]
}
