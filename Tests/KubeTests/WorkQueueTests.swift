import Synchronization
import Testing
@testable import Kube

@Suite("work queue")
struct WorkQueueTests {
    @Test func addsAreDeduplicated() async {
        let queue = WorkQueue<String>()
        queue.add("a")
        queue.add("b")
        queue.add("a")
        #expect(queue.count == 2)
        #expect(await queue.next() == "a")
        #expect(await queue.next() == "b")
        #expect(queue.count == 0)
    }

    @Test func anItemIsNeverHandedOutTwiceAtOnce() async {
        let queue = WorkQueue<String>()
        queue.add("a")
        #expect(await queue.next() == "a")
        queue.add("a")
        queue.add("a")
        #expect(queue.count == 0, "held back while a worker has it")
        queue.add("b")
        #expect(await queue.next() == "b")
        queue.done("a")
        #expect(queue.count == 1, "queued again once, after done")
        #expect(await queue.next() == "a")
        queue.done("a")
        queue.done("b")
        #expect(queue.count == 0)
    }

    @Test func delayedAddsComeLaterAndKeepTheEarliestRequest() async {
        let queue = WorkQueue<String>()
        queue.addAfter("later", delay: .milliseconds(30))
        queue.addAfter("sooner", delay: .seconds(3600))
        queue.addAfter("sooner", delay: .milliseconds(10))
        queue.addAfter("sooner", delay: .seconds(7200))
        queue.add("now")
        #expect(queue.delayedCount == 2)
        #expect(await queue.next() == "now")
        #expect(await queue.next() == "sooner")
        #expect(await queue.next() == "later")
        #expect(queue.delayedCount == 0)
    }

    @Test func rateLimitedAddsCountRequeuesUntilForgotten() async {
        let queue = WorkQueue<String>(configuration: .init(backoff: ExponentialBackoff(base: .milliseconds(1)), rateLimit: nil))
        queue.addRateLimited("x")
        queue.addRateLimited("x")
        #expect(queue.requeues("x") == 2)
        #expect(await queue.next() == "x")
        queue.forget("x")
        #expect(queue.requeues("x") == 0)
    }

    @Test func backoffDoublesUpToItsCap() {
        let backoff = ExponentialBackoff(base: .milliseconds(5), cap: .seconds(1))
        #expect(backoff.delay(afterFailures: 0) == .milliseconds(5))
        #expect(backoff.delay(afterFailures: 1) == .milliseconds(10))
        #expect(backoff.delay(afterFailures: 7) == .milliseconds(640))
        #expect(backoff.delay(afterFailures: 8) == .seconds(1))
        #expect(backoff.delay(afterFailures: 5000) == .seconds(1))
    }

    @Test func tokenBucketAllowsBurstsThenPaces() {
        var bucket = TokenBucket(rate: 2, burst: 2)
        let start = ContinuousClock.now
        #expect(bucket.reserve(now: start) == .zero)
        #expect(bucket.reserve(now: start) == .zero)
        #expect(bucket.reserve(now: start) == .milliseconds(500))
        #expect(bucket.reserve(now: start) == .seconds(1))
        // Ten seconds later the bucket is full again (never more than the burst).
        #expect(bucket.reserve(now: start + .seconds(10)) == .zero)
        #expect(bucket.reserve(now: start + .seconds(10)) == .zero)
        #expect(bucket.reserve(now: start + .seconds(10)) == .milliseconds(500))
    }

    @Test func shutDownReleasesWorkersAndIgnoresAdds() async {
        let queue = WorkQueue<Int>()
        async let waiting = queue.next()
        // The waiter registers asynchronously; shutting down releases it whether or not it is registered yet.
        queue.shutDown()
        #expect(await waiting == nil)
        queue.add(1)
        queue.addAfter(2, delay: .milliseconds(1))
        #expect(queue.count == 0 && queue.delayedCount == 0)
        #expect(await queue.next() == nil)
    }

    @Test func cancellingAWaitingWorkerReturnsNil() async {
        let queue = WorkQueue<Int>()
        let worker = Task { await queue.next() }
        worker.cancel()
        #expect(await worker.value == nil)
        queue.add(7)
        #expect(await queue.next() == 7, "the cancelled worker did not take the item")
    }

    /// What the workers of `concurrentWorkersNeverShareAnItem` observed.
    final class Observations: Sendable {
        private struct State {
            var inFlight: Set<Int> = []
            var overlaps = 0
            var processed = 0
        }

        private let state = Mutex(State())

        func start(_ item: Int) {
            state.withLock { if !$0.inFlight.insert(item).inserted { $0.overlaps += 1 } }
        }

        func finish(_ item: Int) {
            state.withLock {
                $0.inFlight.remove(item)
                $0.processed += 1
            }
        }

        var idle: Bool { state.withLock { $0.inFlight.isEmpty } }
        var overlaps: Int { state.withLock { $0.overlaps } }
        var processed: Int { state.withLock { $0.processed } }
    }

    @Test func concurrentWorkersNeverShareAnItem() async {
        let queue = WorkQueue<Int>(configuration: .init(rateLimit: nil))
        let observations = Observations()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    while let item = await queue.next() {
                        observations.start(item)
                        await Task.yield()
                        observations.finish(item)
                        queue.done(item)
                    }
                }
            }
            for round in 0..<200 {
                queue.add(round % 10)
                if round % 7 == 0 { await Task.yield() }
            }
            // Wait until everything added has been worked off, then stop the workers.
            while queue.count > 0 || !observations.idle { await Task.yield() }
            queue.shutDown()
        }
        #expect(observations.overlaps == 0)
        #expect(observations.processed >= 10)
    }
}

@Suite("object store")
struct ObjectStoreTests {
    static func pod(_ name: String, namespace: String = "ns", node: String = "", version: String = "1") -> Pod {
        var pod = Pod(metadata: ObjectMeta(name: name, namespace: namespace), spec: PodSpec(nodeName: node))
        pod.metadata.resourceVersion = version
        return pod
    }

    @Test func indexesFollowChanges() {
        let store = ObjectStore<Pod>(indexers: ["node": { $0.spec.nodeName.isEmpty ? [] : [$0.spec.nodeName] }])
        store.upsert(Self.pod("a", node: "n1"))
        store.upsert(Self.pod("b", node: "n1"))
        store.upsert(Self.pod("c", namespace: "other", node: "n2"))
        #expect(store.byIndex("node", "n1").map(\.metadata.name) == ["a", "b"])
        #expect(store.list(namespace: "other").map(\.metadata.name) == ["c"])
        let old = store.upsert(Self.pod("a", node: "n2", version: "2"))
        #expect(old?.spec.nodeName == "n1")
        #expect(store.byIndex("node", "n1").map(\.metadata.name) == ["b"])
        #expect(store.byIndex("node", "n2").map(\.metadata.name) == ["a", "c"])
        store.remove(ObjectKey(namespace: "ns", name: "b"))
        #expect(store.byIndex("node", "n1").isEmpty)
        #expect(store.get(namespace: "ns", name: "a")?.metadata.resourceVersion == "2")
        #expect(store.keys.map(\.description) == ["ns/a", "other/c"])
        #expect(store.byIndex("unknown", "x").isEmpty)
    }

    @Test func replaceReportsTheDifference() {
        let store = ObjectStore<Pod>()
        store.upsert(Self.pod("kept"))
        store.upsert(Self.pod("changed"))
        store.upsert(Self.pod("gone"))
        let changes = store.replace(with: [Self.pod("kept"), Self.pod("changed", version: "2"), Self.pod("new")])
        #expect(changes.added.map(\.metadata.name) == ["new"])
        #expect(changes.updated.map(\.new.metadata.resourceVersion) == ["2"])
        #expect(changes.deleted.map(\.metadata.name) == ["gone"])
        #expect(store.count == 3)
        #expect(store.list(namespace: "ns").count == 3)
    }
}
