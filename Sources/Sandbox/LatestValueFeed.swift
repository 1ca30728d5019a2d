import Synchronization

/// Hands the latest of a sequence of values to any number of readers: each new stream starts with the current
/// value, and a reader that falls behind skips to the newest (only the latest desired state matters).
final class LatestValueFeed<Value: Sendable & Equatable>: Sendable {
    private struct Readers {
        var latest: Value?
        var nextKey: UInt64 = 0
        var continuations: [UInt64: AsyncStream<Value>.Continuation] = [:]
        var finished = false
    }

    private let readers = Mutex(Readers())

    init() {}

    var latest: Value? { readers.withLock { $0.latest } }

    /// Sends `value` to every reader unless it equals the latest; returns whether it was new.
    @discardableResult
    func publish(_ value: Value) -> Bool {
        let targets: [AsyncStream<Value>.Continuation]? = readers.withLock { readers in
            guard !readers.finished, readers.latest != value else { return nil }
            readers.latest = value
            return Array(readers.continuations.values)
        }
        guard let targets else { return false }
        for continuation in targets { continuation.yield(value) }
        return true
    }

    func stream() -> AsyncStream<Value> {
        let (stream, continuation) = AsyncStream<Value>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let registered: Bool = readers.withLock { readers in
            guard !readers.finished else { return false }
            let key = readers.nextKey
            readers.nextKey += 1
            readers.continuations[key] = continuation
            if let latest = readers.latest { continuation.yield(latest) }
            continuation.onTermination = { [weak self] _ in _ = self?.readers.withLock { $0.continuations.removeValue(forKey: key) } }
            return true
        }
        if !registered { continuation.finish() }
        return stream
    }

    /// Ends every stream; later ones end at once.
    func finish() {
        let targets = readers.withLock { readers in
            readers.finished = true
            defer { readers.continuations = [:] }
            return Array(readers.continuations.values)
        }
        for continuation in targets { continuation.finish() }
    }
}
