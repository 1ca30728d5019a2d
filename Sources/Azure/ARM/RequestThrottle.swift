import Foundation
import Synchronization

/// Reads (GET, HEAD) and writes are throttled and rate-limited separately, as ARM counts them separately.
public enum RequestClass: Sendable, Hashable {
    case read
    case write

    init(method: String) { self = (method == "GET" || method == "HEAD") ? .read : .write }
}

/// The client-side half of ARM throttling: after a 429 every call of the same class waits out `Retry-After`
/// locally instead of reaching ARM (which would extend the throttling), and an optional token bucket per class.
final class RequestThrottle: Sendable {
    private struct State {
        var blockedUntil: [RequestClass: ContinuousClock.Instant] = [:]
        var buckets: [RequestClass: TokenBucket] = [:]
    }

    private let state: Mutex<State>

    init(rateLimit: RateLimitSettings?) {
        var initial = State()
        if let rateLimit {
            initial.buckets[.read] = TokenBucket(rate: rateLimit.readQPS, capacity: rateLimit.readBucket)
            initial.buckets[.write] = TokenBucket(rate: rateLimit.writeQPS, capacity: rateLimit.writeBucket)
        }
        state = Mutex(initial)
    }

    enum Admission: Equatable {
        case allowed
        case throttled(remaining: Duration)
        case rateLimited
    }

    /// Whether a call of `kind` may go out now; takes a bucket token if it may.
    func admit(_ kind: RequestClass, now: ContinuousClock.Instant = .now) -> Admission {
        state.withLock { state in
            if let until = state.blockedUntil[kind], until > now { return .throttled(remaining: until - now) }
            if state.buckets[kind] != nil, !state.buckets[kind]!.take(now: now) { return .rateLimited }
            return .allowed
        }
    }

    /// ARM answered 429: hold back `kind` until `retryAfter` from now.
    func throttle(_ kind: RequestClass, for retryAfter: Duration, now: ContinuousClock.Instant = .now) {
        state.withLock { state in
            let until = now + retryAfter
            if (state.blockedUntil[kind] ?? now) <= until { state.blockedUntil[kind] = until }
        }
    }
}

/// A token bucket: `capacity` calls at once, refilled at `rate` per second. An empty bucket fails the call
/// rather than delaying it, as the Go provider does, so a controller requeues instead of blocking a worker.
struct TokenBucket: Sendable {
    let rate: Double
    let capacity: Int
    private var tokens: Double
    private var refilled: ContinuousClock.Instant?

    init(rate: Double, capacity: Int) {
        self.rate = rate
        self.capacity = capacity
        tokens = Double(capacity)
    }

    mutating func take(now: ContinuousClock.Instant) -> Bool {
        if let refilled { tokens = min(Double(capacity), tokens + seconds(now - refilled) * rate) }
        refilled = now
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }
}

/// `Retry-After` as ARM sends it: delta-seconds or an HTTP date.
func parseRetryAfter(_ value: String?, now: Date = Date()) -> Duration? {
    guard let value = value?.trimmingWhitespace, !value.isEmpty else { return nil }
    if let seconds = Int(value) { return .seconds(max(0, seconds)) }
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "GMT")
    formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
    guard let date = formatter.date(from: value) else { return nil }
    return .milliseconds(max(0, Int64(date.timeIntervalSince(now) * 1000)))
}
