/// Per-item exponential backoff: `base × 2^(failures)`, at most `cap`. A controller retries a failing item sooner at
/// first and ever more rarely, so one broken object cannot keep the workers busy.
public struct ExponentialBackoff: Sendable, Equatable {
    public var base: Duration
    public var cap: Duration

    /// client-go's default: 5 ms doubling up to 1000 s.
    public init(base: Duration = .milliseconds(5), cap: Duration = .seconds(1000)) {
        self.base = base
        self.cap = cap
    }

    /// The wait before the next try, after `failures` earlier failures (0 for the first retry).
    public func delay(afterFailures failures: Int) -> Duration {
        let seconds = base.seconds * Double(sign: .plus, exponent: max(failures, 0), significand: 1)
        return seconds >= cap.seconds ? cap : .nanoseconds(Int64((seconds * 1e9).rounded()))
    }
}

extension Duration {
    /// The duration in seconds, as a floating-point number.
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}

/// An overall rate limit shared by every item: `rate` per second with bursts of `burst`. Each retry reserves a
/// token; when none is left it waits for its turn, so a wave of failures is spread out instead of hammering the
/// API server.
public struct TokenBucket: Sendable {
    public let rate: Double
    public let burst: Int
    private var tokens: Double
    private var updated: ContinuousClock.Instant?

    /// client-go's default for controllers: 10 per second, bursts of 100.
    public init(rate: Double = 10, burst: Int = 100) {
        self.rate = max(rate, .leastNonzeroMagnitude)
        self.burst = max(burst, 1)
        tokens = Double(self.burst)
    }

    /// Takes a token at `now` and returns how long the caller must wait for it (zero when one was left).
    public mutating func reserve(now: ContinuousClock.Instant) -> Duration {
        if let updated {
            tokens = min(Double(burst), tokens + max((now - updated).seconds, 0) * rate)
        }
        updated = now
        tokens -= 1
        guard tokens < 0 else { return .zero }
        return .nanoseconds(Int64((-tokens / rate * 1e9).rounded(.up)))
    }
}
