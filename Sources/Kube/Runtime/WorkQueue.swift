import Synchronization

/// The queue between informers and a controller's workers, with client-go's semantics:
///
/// - an item is queued at most once however often it is added (dedup), and never handed to two workers at once: an
///   item added while a worker processes it is queued again when that worker calls ``done(_:)``;
/// - ``addAfter(_:delay:)`` queues an item later (keeping the earliest of several requests);
/// - ``addRateLimited(_:)`` queues it after its own exponential backoff or the overall rate limit, whichever is
///   longer, and ``forget(_:)`` resets its backoff once it succeeds;
/// - ``shutDown()`` (or cancelling the task of a waiting worker) ends ``next()`` with nil.
///
/// Adding never blocks, so informer handlers call it directly.
public final class WorkQueue<Item: Hashable & Sendable>: Sendable {
    /// How retries are paced.
    public struct Configuration: Sendable {
        public var backoff: ExponentialBackoff
        /// The overall limit; nil for none.
        public var rateLimit: TokenBucket?

        public init(backoff: ExponentialBackoff = ExponentialBackoff(), rateLimit: TokenBucket? = TokenBucket()) {
            self.backoff = backoff
            self.rateLimit = rateLimit
        }
    }

    private struct Delayed {
        var deadline: ContinuousClock.Instant
        var item: Item
    }

    private struct State {
        var queue = FIFO<Item>()
        /// Items that must be processed (queued, or added again while processing).
        var dirty: Set<Item> = []
        var processing: Set<Item> = []
        var waiters: [(id: UInt64, continuation: CheckedContinuation<Item?, Never>)] = []
        var nextWaiterID: UInt64 = 0
        var failures: [Item: Int] = [:]
        var bucket: TokenBucket?
        /// Items waiting for their time, by deadline; `waiting` holds each item's current deadline so that a heap
        /// entry superseded by an earlier request is skipped.
        var delayed = MinHeap<Delayed>(by: { $0.deadline < $1.deadline })
        var waiting: [Item: ContinuousClock.Instant] = [:]
        var timer: (deadline: ContinuousClock.Instant, task: Task<Void, Never>)?
        var shuttingDown = false
    }

    private let configuration: Configuration
    private let state: Mutex<State>

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        var initial = State()
        initial.bucket = configuration.rateLimit
        state = Mutex(initial)
    }

    deinit {
        state.withLock { $0.timer?.task.cancel() }
    }

    /// Queues `item` unless it is queued already.
    public func add(_ item: Item) {
        let handOff = state.withLock { state in Self.insert(item, into: &state) }
        handOff?.continuation.resume(returning: item)
    }

    /// Queues `item` after `delay`.
    public func addAfter(_ item: Item, delay: Duration) {
        guard delay > .zero else { return add(item) }
        let deadline = ContinuousClock.now + delay
        state.withLock { state in
            guard !state.shuttingDown else { return }
            if let existing = state.waiting[item], existing <= deadline { return }
            state.waiting[item] = deadline
            state.delayed.push(Delayed(deadline: deadline, item: item))
            armTimer(&state)
        }
    }

    /// Queues `item` after its backoff (which this call lengthens) and the overall rate limit.
    public func addRateLimited(_ item: Item) {
        let delay = state.withLock { state -> Duration in
            let failures = state.failures[item, default: 0]
            state.failures[item] = failures + 1
            let backoff = configuration.backoff.delay(afterFailures: failures)
            let overall = state.bucket?.reserve(now: .now) ?? .zero
            return max(backoff, overall)
        }
        addAfter(item, delay: delay)
    }

    /// Resets the backoff of `item` (it was processed successfully).
    public func forget(_ item: Item) {
        state.withLock { _ = $0.failures.removeValue(forKey: item) }
    }

    /// How many times `item` was requeued with backoff since it was last forgotten.
    public func requeues(_ item: Item) -> Int {
        state.withLock { $0.failures[item, default: 0] }
    }

    /// The next item to process, waiting for one; nil once the queue is shut down or the waiting task is cancelled.
    /// The caller must call ``done(_:)`` with it when finished.
    public func next() async -> Item? {
        let id = state.withLock { state -> UInt64 in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Item?, Never>) in
                let immediate = state.withLock { state -> Item?? in
                    if let item = state.queue.popFirst() {
                        state.dirty.remove(item)
                        state.processing.insert(item)
                        return .some(item)
                    }
                    if state.shuttingDown || Task.isCancelled { return .some(nil) }
                    state.waiters.append((id, continuation))
                    return .none
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Item?, Never>? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index).continuation
            }
            waiter?.resume(returning: nil)
        }
    }

    /// Marks `item` processed; if it was added meanwhile, it is queued again.
    public func done(_ item: Item) {
        let handOff = state.withLock { state -> (id: UInt64, continuation: CheckedContinuation<Item?, Never>)? in
            state.processing.remove(item)
            guard state.dirty.contains(item), !state.shuttingDown else { return nil }
            return Self.enqueue(item, into: &state)
        }
        handOff?.continuation.resume(returning: item)
    }

    /// Stops the queue: waiting and later calls of ``next()`` return nil, adds are ignored, delayed items dropped.
    public func shutDown() {
        let waiters = state.withLock { state in
            state.shuttingDown = true
            state.timer?.task.cancel()
            state.timer = nil
            state.delayed = MinHeap(by: { $0.deadline < $1.deadline })
            state.waiting = [:]
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.continuation.resume(returning: nil) }
    }

    public var isShutDown: Bool { state.withLock { $0.shuttingDown } }

    /// Items queued and not yet taken by a worker.
    public var count: Int { state.withLock { $0.queue.count } }

    /// Items waiting for their delay.
    public var delayedCount: Int { state.withLock { $0.waiting.count } }

    // MARK: Internals (under the lock)

    /// Adds `item` to the dirty set and, unless it is being processed, to the queue or straight to a waiting worker.
    private static func insert(_ item: Item, into state: inout State)
        -> (id: UInt64, continuation: CheckedContinuation<Item?, Never>)?
    {
        guard !state.shuttingDown, !state.dirty.contains(item) else { return nil }
        state.dirty.insert(item)
        guard !state.processing.contains(item) else { return nil }
        return enqueue(item, into: &state)
    }

    private static func enqueue(_ item: Item, into state: inout State)
        -> (id: UInt64, continuation: CheckedContinuation<Item?, Never>)?
    {
        guard !state.waiters.isEmpty else {
            state.queue.append(item)
            return nil
        }
        state.dirty.remove(item)
        state.processing.insert(item)
        return state.waiters.removeFirst()
    }

    /// Makes sure a timer task wakes up at the earliest deadline.
    private func armTimer(_ state: inout State) {
        guard let earliest = state.delayed.first?.deadline else { return }
        if let timer = state.timer, timer.deadline <= earliest { return }
        state.timer?.task.cancel()
        let task = Task { [weak self] in
            try? await Task.sleep(until: earliest, clock: .continuous)
            guard !Task.isCancelled else { return }
            self?.fireTimer()
        }
        state.timer = (earliest, task)
    }

    /// Queues every item whose time has come and re-arms the timer for the rest.
    private func fireTimer() {
        let now = ContinuousClock.now
        let handOffs = state.withLock { state -> [(Item, CheckedContinuation<Item?, Never>)] in
            state.timer = nil
            var handOffs: [(Item, CheckedContinuation<Item?, Never>)] = []
            while let first = state.delayed.first, first.deadline <= now {
                state.delayed.removeFirst()
                guard state.waiting[first.item] == first.deadline else { continue }
                state.waiting[first.item] = nil
                if let handOff = Self.insert(first.item, into: &state) {
                    handOffs.append((first.item, handOff.continuation))
                }
            }
            armTimer(&state)
            return handOffs
        }
        for (item, continuation) in handOffs { continuation.resume(returning: item) }
    }
}
