import Logging
import Synchronization

/// What a reconcile asks for next.
public enum ReconcileResult: Sendable, Equatable {
    /// The object is as it should be; forget its backoff.
    case done
    /// Try again soon, with the item's backoff (waiting on something that has no event to wake this controller).
    case requeue
    /// Look again after this long (a periodic check, an expiring certificate); the backoff is reset.
    case requeueAfter(Duration)
}

/// An error that says when the failed operation may succeed (a server's `Retry-After`, zero for "read again and
/// retry now"): the controller requeues the key after that instead of the key's backoff. nil means no opinion.
public protocol RetryAfterError: Error {
    var retryAfter: Duration? { get }
}

extension KubeError: RetryAfterError {}

/// A controller: keys of changed objects go into a ``WorkQueue`` and `workers` tasks reconcile them, one key at a
/// time per key. The reconcile reads the current state from the informers' stores (the object may be gone: then
/// it cleans up) and returns a ``ReconcileResult``; a thrown error retries the key with backoff.
///
/// The controller's own informer enqueues its objects; ``watchOwned(_:ownerKind:)`` enqueues the owner of changed
/// dependents, ``watch(_:map:)`` any mapping. Informers are run by the caller (they may be shared);
/// ``run()`` waits until they have synced, then works until its task is cancelled.
public final class Controller<Object: APIObject>: Sendable {
    public typealias Reconcile = @Sendable (ObjectKey) async throws -> ReconcileResult

    public let name: String
    public let informer: Informer<Object>
    public let queue: WorkQueue<ObjectKey>
    private let workers: Int
    private let reconcile: Reconcile
    private let logger: Logger
    /// Informers whose sync `run()` waits for, besides the controller's own.
    private let watched = Mutex<[@Sendable () async -> Void]>([])

    public init(name: String, informer: Informer<Object>, workers: Int = 1,
                queue: WorkQueue<ObjectKey>.Configuration = WorkQueue.Configuration(),
                logger: Logger = Logger(label: "egressgw.kube.controller"),
                reconcile: @escaping Reconcile) {
        self.name = name
        self.informer = informer
        self.queue = WorkQueue(configuration: queue)
        self.workers = max(workers, 1)
        self.reconcile = reconcile
        var logger = logger
        logger[metadataKey: "controller"] = "\(name)"
        self.logger = logger
        let queue = self.queue
        informer.addHandler(InformerHandler { object in queue.add(object.objectKey) })
    }

    /// Enqueues the controlling owner of every changed `Owned` object whose owner reference (`controller: true`)
    /// has kind `ownerKind`, in the dependent's namespace. A cluster-scoped owner has no namespace: pass
    /// `ownerIsNamespaced: false`.
    public func watchOwned<Owned: APIObject>(_ informer: Informer<Owned>, ownerKind: String,
                                              ownerIsNamespaced: Bool = true) {
        watch(informer) { owned in
            guard let owner = owned.metadata.controllerReference, owner.kind == ownerKind else { return [] }
            return [ObjectKey(namespace: ownerIsNamespaced ? owned.metadata.namespace : "", name: owner.name)]
        }
    }

    /// Enqueues the keys `map` gives for every changed `Other` object (old and new state on updates).
    public func watch<Other: APIObject>(_ informer: Informer<Other>,
                                         map: @escaping @Sendable (Other) -> [ObjectKey]) {
        let queue = self.queue
        informer.addHandler(InformerHandler(
            onAdd: { object in for key in map(object) { queue.add(key) } },
            onUpdate: { old, new in for key in Set(map(old) + map(new)) { queue.add(key) } },
            onDelete: { object in for key in map(object) { queue.add(key) } }))
        watched.withLock { $0.append({ await informer.waitForSync() }) }
    }

    /// Waits for the informers to sync, then reconciles until the task is cancelled; the queue is shut down then
    /// and reconciles in progress are cancelled.
    public func run() async {
        await informer.waitForSync()
        for waitForSync in watched.withLock({ $0 }) { await waitForSync() }
        guard !Task.isCancelled else { return queue.shutDown() }
        logger.info("started", metadata: ["workers": "\(workers)"])
        await withTaskCancellationHandler {
            await withDiscardingTaskGroup { group in
                for _ in 0..<workers {
                    group.addTask { await self.work() }
                }
            }
        } onCancel: {
            queue.shutDown()
        }
        logger.info("stopped")
    }

    private func work() async {
        while let key = await queue.next() {
            do {
                switch try await reconcile(key) {
                case .done:
                    queue.forget(key)
                case .requeue:
                    queue.addRateLimited(key)
                case .requeueAfter(let delay):
                    queue.forget(key)
                    queue.addAfter(key, delay: delay)
                }
            } catch {
                if !Task.isCancelled {
                    logger.warning("reconcile failed, retrying with backoff", metadata: [
                        "object": "\(key)", "error": "\(error)", "retries": "\(queue.requeues(key))",
                    ])
                    // A throttled server said when to come back; otherwise the item's backoff applies.
                    if let wait = (error as? any RetryAfterError)?.retryAfter {
                        queue.addAfter(key, delay: wait)
                    } else {
                        queue.addRateLimited(key)
                    }
                }
            }
            queue.done(key)
        }
    }
}
