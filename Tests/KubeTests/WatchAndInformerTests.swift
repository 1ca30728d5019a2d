import Foundation
import Kube
import KubeEmulator
import Synchronization
import Testing

/// What a writer did, in order, as a watcher must see it: `ADDED name`, `MODIFIED name`, `DELETED name`.
final class Journal: Sendable {
    private let entries = Mutex<[String]>([])

    func append(_ entry: String) { entries.withLock { $0.append(entry) } }
    var all: [String] { entries.withLock { $0 } }
    var count: Int { entries.withLock { $0.count } }
}

func describe(_ event: WatchEvent<ConfigMap>) -> String? {
    switch event {
    case .added(let object): "ADDED \(object.metadata.name)"
    case .modified(let object): "MODIFIED \(object.metadata.name)"
    case .deleted(let object): "DELETED \(object.metadata.name)"
    case .bookmark: nil
    }
}

@Suite("watch and informer against the emulator")
struct WatchAndInformerTests {
    @Test func watchReportsChangesAndBookmarks() async throws {
        let configuration = KubeEmulator.Configuration(bookmarkInterval: .milliseconds(100))
        try await withEmulator(configuration) { _, client in
            let maps = client.resource(ConfigMap.self, namespace: "default")
            let start = try await maps.list().metadata.resourceVersion
            let events = try await maps.watch(WatchOptions(resourceVersion: start))
            var created = try await maps.create(configMap("w"))
            created.data["k"] = "v"
            _ = try await maps.update(created)
            try await maps.delete("w")
            var seen: [String] = []
            var bookmarks = 0
            for try await event in events {
                if let text = describe(event) { seen.append(text) } else { bookmarks += 1 }
                if seen.count == 3, bookmarks > 0 { break }
            }
            #expect(seen == ["ADDED w", "MODIFIED w", "DELETED w"])
            events.cancel()
        }
    }

    @Test func tooOldVersionIsGone() async throws {
        try await withEmulator(KubeEmulator.Configuration(historyLimit: 5)) { _, client in
            let maps = client.resource(ConfigMap.self, namespace: "default")
            let start = try await maps.list().metadata.resourceVersion
            for index in 0..<10 { _ = try await maps.create(configMap("g\(index)")) }
            let error = await #expect(throws: KubeError.self) {
                for try await _ in try await maps.watch(WatchOptions(resourceVersion: start)) {}
            }
            #expect(error?.isGone == true)
        }
    }

    /// A watcher that resumes from its last resourceVersion after each drop sees every write exactly once, in order.
    @Test func watchResumesAfterDroppedStreamsWithoutLossOrRepeat() async throws {
        try await withEmulator { server, client in
            let maps = client.resource(ConfigMap.self, namespace: "default")
            let start = try await maps.list().metadata.resourceVersion
            let journal = Journal()
            let total = 300
            let writer = Task {
                var names: [String] = []
                for step in 0..<total {
                    if step % 40 == 39 { server.emulator.dropWatches() }
                    if names.count > 5, step % 5 == 0 {
                        let name = names.removeFirst()
                        try await maps.delete(name)
                        journal.append("DELETED \(name)")
                    } else if names.count > 3, step % 3 == 0, let name = names.last {
                        var object = try await maps.get(name)
                        object.data["step"] = String(step)
                        _ = try await maps.update(object)
                        journal.append("MODIFIED \(name)")
                    } else {
                        let name = "r\(step)"
                        _ = try await maps.create(configMap(name))
                        names.append(name)
                        journal.append("ADDED \(name)")
                    }
                }
            }
            var seen: [String] = []
            var versions: [Int] = []
            var version = start
            var resumes = 0
            watching: while true {
                do {
                    for try await event in try await maps.watch(WatchOptions(resourceVersion: version)) {
                        version = event.resourceVersion
                        if let text = describe(event) {
                            seen.append(text)
                            versions.append(Int(event.resourceVersion) ?? -1)
                            if seen.count == total { break watching }
                        }
                    }
                } catch let error as KubeError {
                    #expect(!error.isGone, "the emulator's history covers the drops")
                }
                resumes += 1
            }
            try await writer.value
            #expect(resumes >= 5, "the stream was dropped and resumed")
            #expect(seen == journal.all)
            #expect(versions == versions.sorted() && Set(versions).count == versions.count)
        }
    }

    /// The informer's view (store and handler-reported state) equals a fresh list after 1,000 random writes, while
    /// the server drops watches and answers some requests with 500 and 429.
    @Test func informerConvergesUnderFaults() async throws {
        try await withEmulator(timeout: .seconds(300)) { server, client in
            let maps = client.resource(ConfigMap.self, namespace: "default")
            let informer = Informer(maps, configuration: Informer.Configuration(
                pageSize: 50, watchTimeout: 5...10,
                backoff: ExponentialBackoff(base: .milliseconds(10), cap: .milliseconds(200))))
            let view = HandlerView()
            informer.addHandler(view.handler)
            let running = Task { await informer.run() }
            defer { running.cancel() }
            await informer.waitForSync()

            server.emulator.setFaults(FaultInjection(tooManyRequestsRate: 0.03, internalErrorRate: 0.05,
                                                     watchDropRate: 0.02, retryAfterSeconds: 0))
            var generator = SystemRandomNumberGenerator()
            var existing: [String] = []
            for step in 0..<1000 {
                let roll = Int.random(in: 0..<10, using: &generator)
                try await retryingFaults { () throws(KubeError) in
                    if existing.isEmpty || roll < 4 {
                        let name = "cm-\(step)"
                        do throws(KubeError) {
                            _ = try await maps.create(configMap(name, data: ["step": "\(step)"]))
                        } catch .alreadyExists {}
                        existing.append(name)
                    } else if roll < 8 {
                        let name = existing.randomElement(using: &generator)!
                        _ = try await maps.patch(name, .merge(["data": ["step": .string("\(step)")]]))
                    } else {
                        let index = Int.random(in: 0..<existing.count, using: &generator)
                        do throws(KubeError) { try await maps.delete(existing[index]) } catch .notFound {}
                        existing.remove(at: index)
                    }
                }
            }
            server.emulator.setFaults(.none)
            let truth = try await maps.listAll()
            let expected = Dictionary(uniqueKeysWithValues: truth.items.map { ($0.metadata.name, $0.metadata.resourceVersion) })
            try await eventually {
                Dictionary(uniqueKeysWithValues: informer.store.list().map { ($0.metadata.name, $0.metadata.resourceVersion) }) == expected
            }
            #expect(informer.store.list() == truth.items)
            #expect(view.versions == expected, "handlers saw the same final state")
            #expect(view.anomalies.isEmpty, "no duplicated or out-of-order notifications: \(view.anomalies.prefix(5))")
            #expect(informer.requestCounts.watches > 1, "watches were dropped and resumed")
        }
    }

    /// When the informer's version leaves the server's history while it cannot watch, it lists again and reports
    /// what changed meanwhile exactly once.
    @Test func informerRelistsAfterGone() async throws {
        try await withEmulator(KubeEmulator.Configuration(historyLimit: 10)) { server, client in
            let maps = client.resource(ConfigMap.self, namespace: "default")
            _ = try await maps.create(configMap("before"))
            let informer = Informer(maps, configuration: Informer.Configuration(
                backoff: ExponentialBackoff(base: .milliseconds(20), cap: .milliseconds(100))))
            let view = HandlerView()
            informer.addHandler(view.handler)
            let running = Task { await informer.run() }
            defer { running.cancel() }
            await informer.waitForSync()
            #expect(informer.requestCounts.lists == 1)

            // Every request fails while 30 writes push the informer's version out of the history.
            server.emulator.setFaults(FaultInjection(internalErrorRate: 1))
            server.emulator.dropWatches()
            for index in 0..<30 {
                try server.emulator.create([
                    "apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": ["name": .string("during-\(index)"), "namespace": "default"],
                ])
            }
            server.emulator.setFaults(.none)
            try await eventually { informer.store.count == 31 }
            #expect(informer.requestCounts.lists >= 2, "listed again after 410 Gone")
            #expect(view.adds == 31)
            #expect(view.anomalies.isEmpty)
        }
    }
}

/// Retries `write` while the server answers with injected faults (500, 429) or drops the connection.
func retryingFaults(_ write: () async throws(KubeError) -> Void) async throws {
    while true {
        do {
            try await write()
            return
        } catch where error.isTransient {
            try await Task.sleep(for: .milliseconds(2))
        }
    }
}

/// The state handlers were told about, and anything that would be a duplicate or a lost notification.
final class HandlerView: Sendable {
    private struct State {
        var versions: [String: String] = [:]
        var anomalies: [String] = []
        var adds = 0
    }

    private let state = Mutex(State())

    var versions: [String: String] { state.withLock { $0.versions } }
    var anomalies: [String] { state.withLock { $0.anomalies } }
    var adds: Int { state.withLock { $0.adds } }

    var handler: InformerHandler<ConfigMap> {
        InformerHandler(
            onAdd: { object in
                self.state.withLock { state in
                    state.adds += 1
                    if state.versions[object.metadata.name] != nil { state.anomalies.append("add of known \(object.metadata.name)") }
                    state.versions[object.metadata.name] = object.metadata.resourceVersion
                }
            },
            onUpdate: { old, new in
                self.state.withLock { state in
                    if state.versions[new.metadata.name] != old.metadata.resourceVersion {
                        state.anomalies.append("update of \(new.metadata.name) from an unseen state")
                    }
                    if old.metadata.resourceVersion == new.metadata.resourceVersion {
                        state.anomalies.append("repeated update of \(new.metadata.name)")
                    }
                    state.versions[new.metadata.name] = new.metadata.resourceVersion
                }
            },
            onDelete: { object in
                self.state.withLock { state in
                    if state.versions.removeValue(forKey: object.metadata.name) == nil {
                        state.anomalies.append("delete of unknown \(object.metadata.name)")
                    }
                }
            })
    }
}
