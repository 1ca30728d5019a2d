import Synchronization

/// The bounded queue between a streaming transfer (producer, on the client's curl thread) and the
/// task reading the body (consumer).
///
/// Back-pressure: once `highWater` bytes wait unread, the producer is told to pause; libcurl then
/// keeps the chunk, stops reading the socket, and TCP flow control slows the server. When the
/// consumer has drained the queue to half of `highWater`, it asks for the transfer to resume.
final class BodyBuffer: Sendable {
    /// What the producer should tell libcurl about a chunk it offered.
    enum Offer {
        case accepted
        /// Not taken: libcurl must keep it and offer it again after resuming.
        case pause
        /// Nobody will read the body any more.
        case abandon
    }

    /// What a consumer found.
    enum Poll {
        case chunk([UInt8], resumeProducer: Bool)
        case end(Result<Void, HTTPClientError>)
        case empty
    }

    private struct State {
        var chunks: [[UInt8]] = []
        var firstChunk = 0
        var bufferedBytes = 0
        var producerPaused = false
        var end: Result<Void, HTTPClientError>?
        var waiters: [CheckedContinuation<Poll, Never>] = []
        /// The most bytes ever queued at once, for tests of back-pressure.
        var peakBufferedBytes = 0
    }

    let highWater: Int
    private let state = Mutex(State())

    init(highWater: Int) {
        self.highWater = max(1, highWater)
    }

    // MARK: Producer side (the curl thread)

    func offer(_ bytes: UnsafeRawBufferPointer) -> Offer {
        guard !bytes.isEmpty else { return .accepted }
        let (offer, waiter): (Offer, CheckedContinuation<Poll, Never>?) = state.withLock { state in
            if state.end != nil { return (.abandon, nil) }
            if !state.waiters.isEmpty { return (.accepted, state.waiters.removeFirst()) }
            if state.bufferedBytes >= highWater {
                state.producerPaused = true
                return (.pause, nil)
            }
            state.chunks.append(Array(bytes))
            state.bufferedBytes += bytes.count
            state.peakBufferedBytes = max(state.peakBufferedBytes, state.bufferedBytes)
            return (.accepted, nil)
        }
        waiter?.resume(returning: .chunk(Array(bytes), resumeProducer: false))
        return offer
    }

    /// The transfer ended; readers see the queued chunks, then the end.
    func finish(_ result: Result<Void, HTTPClientError>) {
        let (waiters, end) = state.withLock { state in
            let end = state.end ?? result
            state.end = end
            defer { state.waiters = [] }
            return (state.waiters, end)
        }
        for waiter in waiters { waiter.resume(returning: .end(end)) }
    }

    // MARK: Consumer side

    /// A chunk or the end if one is ready, else `.empty`.
    func poll() -> Poll {
        state.withLock { Self.take(&$0, highWater: highWater) }
    }

    /// Waits for a chunk or the end. Returns `.empty` only when the task is cancelled.
    func wait() async -> Poll {
        await withCheckedContinuation { (continuation: CheckedContinuation<Poll, Never>) in
            let ready: Poll? = state.withLock { state in
                let poll = Self.take(&state, highWater: highWater)
                if case .empty = poll {
                    // Checked under the lock: a cancellation after this point finds the waiter in
                    // `wakeWaiters`, one before it is seen here.
                    if Task.isCancelled { return .empty }
                    state.waiters.append(continuation)
                    return nil
                }
                return poll
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    /// Releases readers blocked in ``wait()`` with `.empty` (their task was cancelled).
    func wakeWaiters() {
        let waiters = state.withLock { state in
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: .empty) }
    }

    /// The reader gave up: drop queued data, end the body with `error` for any later read, and make
    /// the producer abandon the transfer.
    func abandon(with error: HTTPClientError) {
        let waiters = state.withLock { state in
            if state.end == nil { state.end = .failure(error) }
            state.chunks = []
            state.firstChunk = 0
            state.bufferedBytes = 0
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: .empty) }
    }

    var peakBufferedBytes: Int { state.withLock { $0.peakBufferedBytes } }

    private static func take(_ state: inout State, highWater: Int) -> Poll {
        if state.firstChunk < state.chunks.count {
            let chunk = state.chunks[state.firstChunk]
            state.firstChunk += 1
            if state.firstChunk == state.chunks.count {
                state.chunks = []
                state.firstChunk = 0
            } else if state.firstChunk >= 64 {
                state.chunks.removeFirst(state.firstChunk)
                state.firstChunk = 0
            }
            state.bufferedBytes -= chunk.count
            let resume = state.producerPaused && state.bufferedBytes <= highWater / 2
            if resume { state.producerPaused = false }
            return .chunk(chunk, resumeProducer: resume)
        }
        if let end = state.end { return .end(end) }
        return .empty
    }
}
