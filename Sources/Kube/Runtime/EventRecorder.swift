import Foundation
import Logging

/// Records core/v1 Events about objects, as `kubectl describe` shows them. A repeat of the same event (same object,
/// type, reason, message and source) raises the count and `lastTimestamp` of the existing Event instead of creating
/// another, as client-go's event correlator does.
///
/// Recording is best effort: a failure is logged, never thrown, because an event must not fail a reconcile.
public actor EventRecorder {
    private struct Key: Hashable {
        var object: ObjectReference
        var type: String
        var reason: String
        var message: String
    }

    private let events: ResourceClient<Event>
    private let source: EventSource
    private let maximumTracked: Int
    private let logger: Logger
    /// The Event last written for each key, with the keys in the order they were first recorded (oldest are
    /// forgotten first).
    private var recorded: [Key: Event] = [:]
    private var order = FIFO<Key>()
    private var lastNameTime: UInt64 = 0

    /// - Parameters:
    ///   - component: the reporting component (`egressgw-operator`).
    ///   - host: the node it runs on, if any.
    ///   - maximumTracked: how many distinct events are remembered for aggregation.
    public init(client: KubeClient, component: String, host: String = "", maximumTracked: Int = 4096,
                logger: Logger = Logger(label: "egressgw.kube.events")) {
        events = client.resource(Event.self)
        source = EventSource(component: component, host: host)
        self.maximumTracked = max(maximumTracked, 1)
        self.logger = logger
    }

    /// Records an event about `object`.
    public func record(_ object: some KubernetesObject, type: String = Event.normal, reason: String, message: String) async {
        await record(about: ObjectReference(to: object), type: type, reason: reason, message: message)
    }

    /// Records an event about the object `reference` names. Cluster-scoped objects' events go to `default`.
    public func record(about reference: ObjectReference, type: String = Event.normal, reason: String,
                       message: String) async {
        var involved = reference
        // The version changes with every write; a repeat about a newer version is still the same event.
        involved.resourceVersion = ""
        let key = Key(object: involved, type: type, reason: reason, message: message)
        let now = Timestamp.now()
        if let previous = recorded[key] {
            let patch: JSONValue = [
                "count": .integer(Int64(previous.count) + 1),
                "lastTimestamp": .string(now.description),
            ]
            do {
                let updated = try await events.namespace(previous.metadata.namespace)
                    .patch(previous.metadata.name, .merge(patch))
                recorded[key] = updated
                return
            } catch .notFound {
                // Expired or deleted meanwhile: start over with a new Event.
            } catch {
                logger.warning("cannot update event", metadata: ["event": "\(previous.metadata.name)", "error": "\(error)"])
                return
            }
        }
        var event = Event()
        event.metadata.namespace = reference.namespace.isEmpty ? "default" : reference.namespace
        // client-go's name scheme: the object's name and the time in hexadecimal nanoseconds (made unique here).
        let nanoseconds = max(UInt64(Date().timeIntervalSince1970 * 1e9), lastNameTime + 1)
        lastNameTime = nanoseconds
        event.metadata.name = "\(reference.name).\(String(nanoseconds, radix: 16))"
        event.involvedObject = reference
        event.type = type
        event.reason = reason
        event.message = message
        event.source = source
        event.firstTimestamp = now
        event.lastTimestamp = now
        event.count = 1
        event.reportingComponent = source.component
        event.reportingInstance = source.host
        do {
            let created = try await events.create(event)
            if recorded.updateValue(created, forKey: key) == nil { remember(key) }
        } catch {
            logger.warning("cannot record event", metadata: [
                "object": "\(reference.kind) \(reference.namespace)/\(reference.name)", "reason": "\(reason)",
                "error": "\(error)",
            ])
        }
    }

    private func remember(_ key: Key) {
        order.append(key)
        while order.count > maximumTracked, let oldest = order.popFirst() {
            recorded[oldest] = nil
        }
    }
}
