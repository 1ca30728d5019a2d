import Foundation
import Kube
import KubeEmulator
import Synchronization
import Testing

@Suite("controller and events against the emulator")
struct ControllerAndEventTests {
    @Test func reconcilesOwnersRetriesErrorsAndRequeues() async throws {
        try await withEmulator { _, client in
            let maps = client.resource(ConfigMap.self, namespace: "default")
            let secrets = client.resource(Secret.self, namespace: "default")
            let mapInformer = Informer(maps)
            let secretInformer = Informer(secrets)
            let (reconciled, record) = AsyncStream<String>.makeStream()
            let attempts = Mutex<[String: Int]>([:])
            let controller = Controller(
                name: "test", informer: mapInformer, workers: 3,
                queue: WorkQueue.Configuration(backoff: ExponentialBackoff(base: .milliseconds(5)), rateLimit: nil)
            ) { key in
                let attempt = attempts.withLock { counts in
                    counts[key.name, default: 0] += 1
                    return counts[key.name]!
                }
                let object = mapInformer.store.get(key)
                record.yield("\(key.name) \(attempt) \(object == nil ? "absent" : "present")")
                switch key.name {
                case "flaky" where attempt < 3: throw KubeError.invalidRequest("not yet")
                case "periodic" where attempt < 2: return .requeueAfter(.milliseconds(20))
                default: return .done
                }
            }
            controller.watchOwned(secretInformer, ownerKind: "ConfigMap")
            let tasks = [
                Task { await mapInformer.run() }, Task { await secretInformer.run() }, Task { await controller.run() },
            ]
            defer { for task in tasks { task.cancel() } }
            var events = reconciled.makeAsyncIterator()

            let owner = try await maps.create(configMap("owner"))
            #expect(await events.next() == "owner 1 present")
            var secret = Secret(metadata: ObjectMeta(name: "owned", namespace: "default"))
            secret.metadata.ownerReferences = [OwnerReference(controlledBy: owner)]
            _ = try await secrets.create(secret)
            #expect(await events.next() == "owner 2 present", "a change of an owned object reconciles its owner")

            _ = try await maps.create(configMap("flaky"))
            #expect(await events.next() == "flaky 1 present")
            #expect(await events.next() == "flaky 2 present")
            #expect(await events.next() == "flaky 3 present")
            #expect(controller.queue.requeues(ObjectKey(namespace: "default", name: "flaky")) == 0, "success forgets the backoff")

            _ = try await maps.create(configMap("periodic"))
            #expect(await events.next() == "periodic 1 present")
            #expect(await events.next() == "periodic 2 present")

            try await maps.delete("periodic")
            #expect(await events.next() == "periodic 3 absent")
        }
    }

    @Test func repeatedEventsAreAggregated() async throws {
        try await withEmulator { _, client in
            let recorder = EventRecorder(client: client, component: "egressgw-operator", host: "node-1")
            let subject = try await client.resource(ConfigMap.self, namespace: "default").create(configMap("subject"))
            for _ in 0..<3 {
                await recorder.record(subject, type: Event.warning, reason: "InvalidSpec", message: "port out of range")
            }
            await recorder.record(subject, reason: "Reconciled", message: "ok")
            let events = try await client.resource(Event.self, namespace: "default").list().items
                .sorted { $0.count > $1.count }
            #expect(events.count == 2)
            #expect(events.first?.count == 3)
            #expect(events.first?.reason == "InvalidSpec")
            #expect(events.first?.type == "Warning")
            #expect(events.first?.involvedObject.name == "subject")
            #expect(events.first?.involvedObject.uid == subject.metadata.uid)
            #expect(events.first?.source == EventSource(component: "egressgw-operator", host: "node-1"))
            #expect(events.last?.count == 1)
        }
    }
}
