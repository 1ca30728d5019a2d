import Logging
import Synchronization

/// What an informer tells its handlers. They are called in the order of the changes, from the informer's task, and
/// must not block: a controller's handler just adds a key to its work queue.
public struct InformerHandler<Object: APIObject>: Sendable {
    public var onAdd: @Sendable (Object) -> Void
    /// Old and new state.
    public var onUpdate: @Sendable (Object, Object) -> Void
    /// The last known state.
    public var onDelete: @Sendable (Object) -> Void

    public init(onAdd: @escaping @Sendable (Object) -> Void = { _ in },
                onUpdate: @escaping @Sendable (Object, Object) -> Void = { _, _ in },
                onDelete: @escaping @Sendable (Object) -> Void = { _ in }) {
        self.onAdd = onAdd
        self.onUpdate = onUpdate
        self.onDelete = onDelete
    }

    /// One closure for every kind of change, given the current (or, for deletes, last) state.
    public init(_ onChange: @escaping @Sendable (Object) -> Void) {
        self.init(onAdd: onChange, onUpdate: { _, new in onChange(new) }, onDelete: onChange)
    }
}

/// Keeps a local copy of one resource (optionally filtered by selectors) in an ``ObjectStore`` and reports every
/// change: it lists, then watches from the list's `resourceVersion`.
///
/// - A watch that ends (server timeout) or drops (connection lost, 5xx, throttling) is resumed from the last
///   `resourceVersion` seen, bookmarks included, after a backoff for failures: no event is lost or repeated.
/// - A `410 Gone` (the version left the server's history) makes it list again; the store is replaced and the
///   differences are reported as adds, updates and deletes, so handlers still see each change once.
///
/// ``run()`` does the work until its task is cancelled. Add handlers before running.
public final class Informer<Object: APIObject>: Sendable {
    /// Pacing of the informer's requests.
    public struct Configuration: Sendable {
        public var labelSelector: String?
        public var fieldSelector: String?
        /// Objects per list page.
        public var pageSize: Int
        /// Each watch asks the server to end it after a random time in this range, as client-go does, so that
        /// watches of many clients do not all restart together.
        public var watchTimeout: ClosedRange<Int>
        /// The wait after a failed list or watch, growing with consecutive failures.
        public var backoff: ExponentialBackoff

        public init(labelSelector: String? = nil, fieldSelector: String? = nil, pageSize: Int = 500,
                    watchTimeout: ClosedRange<Int> = 300...600,
                    backoff: ExponentialBackoff = ExponentialBackoff(base: .milliseconds(800), cap: .seconds(30))) {
            self.labelSelector = labelSelector
            self.fieldSelector = fieldSelector
            self.pageSize = pageSize
            self.watchTimeout = watchTimeout
            self.backoff = backoff
        }
    }

    private struct State {
        var handlers: [InformerHandler<Object>] = []
        var synced = false
        var syncWaiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var nextWaiterID: UInt64 = 0
        var resourceVersion = ""
        var lists = 0
        var watches = 0
    }

    public let resource: ResourceClient<Object>
    public let store: ObjectStore<Object>
    public let configuration: Configuration
    private let logger: Logger
    private let state = Mutex(State())

    public init(_ resource: ResourceClient<Object>, configuration: Configuration = Configuration(),
                indexers: [String: ObjectStore<Object>.IndexFunction] = [:],
                logger: Logger = Logger(label: "egressgw.kube.informer")) {
        self.resource = resource
        self.configuration = configuration
        store = ObjectStore(indexers: indexers)
        var logger = logger
        logger[metadataKey: "resource"] = "\(resource.resource.qualifiedPlural)"
        self.logger = logger
    }

    public func addHandler(_ handler: InformerHandler<Object>) {
        state.withLock { $0.handlers.append(handler) }
    }

    /// Whether the first list has been stored.
    public var hasSynced: Bool { state.withLock { $0.synced } }

    /// The last `resourceVersion` the informer has seen.
    public var lastResourceVersion: String { state.withLock { $0.resourceVersion } }

    /// How many lists and watches the informer has started (for tests and metrics).
    public var requestCounts: (lists: Int, watches: Int) { state.withLock { ($0.lists, $0.watches) } }

    /// Returns once the first list has been stored, or when the calling task is cancelled.
    public func waitForSync() async {
        let id = state.withLock { state in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ready = state.withLock { state in
                    if !state.synced, !Task.isCancelled { state.syncWaiters[id] = continuation }
                    return state.synced || Task.isCancelled
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.syncWaiters.removeValue(forKey: id) }?.resume()
        }
    }

    /// Lists and watches until the calling task is cancelled.
    public func run() async {
        var needsList = true
        var failures = 0
        while !Task.isCancelled {
            if needsList {
                do {
                    try await list()
                    needsList = false
                    failures = 0
                } catch {
                    guard !Task.isCancelled else { return }
                    logger.warning("list failed, retrying", metadata: ["error": "\(error)", "failures": "\(failures + 1)"])
                    guard await pause(failures, atLeast: error.retryAfter) else { return }
                    failures += 1
                    continue
                }
            }
            do {
                let started = ContinuousClock.now
                if try await watch() {
                    failures = 0
                } else if ContinuousClock.now - started < .seconds(1) {
                    // A server that ends watches at once would otherwise be asked again in a tight loop.
                    guard await pause(failures) else { return }
                    failures += 1
                }
            } catch {
                guard !Task.isCancelled else { return }
                if error.isGone {
                    logger.info("watch version expired, listing again", metadata: ["error": "\(error)"])
                    needsList = true
                    continue
                }
                logger.warning("watch failed, resuming", metadata: [
                    "error": "\(error)", "resourceVersion": "\(lastResourceVersion)", "failures": "\(failures + 1)",
                ])
                guard await pause(failures, atLeast: error.retryAfter) else { return }
                failures += 1
            }
        }
    }

    /// Waits the backoff of `failures`, or longer when a throttling server asked for it; false when cancelled
    /// meanwhile.
    private func pause(_ failures: Int, atLeast minimum: Duration? = nil) async -> Bool {
        do {
            try await Task.sleep(for: max(configuration.backoff.delay(afterFailures: failures), minimum ?? .zero))
            return true
        } catch {
            return false
        }
    }

    private func list() async throws(KubeError) {
        state.withLock { $0.lists += 1 }
        let options = ListOptions(labelSelector: configuration.labelSelector, fieldSelector: configuration.fieldSelector,
                                  limit: configuration.pageSize)
        let list = try await resource.listAll(options)
        let changes = store.replace(with: list.items)
        let (handlers, waiters) = state.withLock { state in
            state.resourceVersion = list.metadata.resourceVersion
            state.synced = true
            defer { state.syncWaiters = [:] }
            return (state.handlers, state.syncWaiters.values)
        }
        for handler in handlers {
            for object in changes.deleted { handler.onDelete(object) }
            for object in changes.added { handler.onAdd(object) }
            for (old, new) in changes.updated { handler.onUpdate(old, new) }
        }
        for waiter in waiters { waiter.resume() }
        logger.debug("listed", metadata: ["objects": "\(list.items.count)", "resourceVersion": "\(list.metadata.resourceVersion)"])
    }

    /// One watch from the last version, applied until it ends. Returns whether any event arrived.
    private func watch() async throws(KubeError) -> Bool {
        let version = state.withLock { state in
            state.watches += 1
            return state.resourceVersion
        }
        let options = WatchOptions(labelSelector: configuration.labelSelector, fieldSelector: configuration.fieldSelector,
                                   resourceVersion: version, allowWatchBookmarks: true,
                                   timeoutSeconds: Int.random(in: configuration.watchTimeout))
        let events = try await resource.watch(options)
        var sawEvents = false
        for try await event in events {
            sawEvents = true
            apply(event)
        }
        return sawEvents
    }

    private func apply(_ event: WatchEvent<Object>) {
        var report: ((InformerHandler<Object>) -> Void)?
        switch event {
        case .added(let object), .modified(let object):
            let old = store.upsert(object)
            if let old {
                // A repeated delivery of the stored state is no change.
                if old != object { report = { handler in handler.onUpdate(old, object) } }
            } else {
                report = { handler in handler.onAdd(object) }
            }
        case .deleted(let object):
            // An object the store does not hold was already reported gone (by a relist).
            if store.remove(object.objectKey) != nil { report = { handler in handler.onDelete(object) } }
        case .bookmark:
            break
        }
        let handlers = state.withLock { state in
            if !event.resourceVersion.isEmpty { state.resourceVersion = event.resourceVersion }
            return state.handlers
        }
        if let report { for handler in handlers { report(handler) } }
    }
}
