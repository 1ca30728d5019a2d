import Foundation

/// Exponential backoff between attempts of one call: `initial`, then times `factor` per retry, capped at `maximum`,
/// with up to `jitter` (a fraction) added so that many clients throttled together do not retry in lockstep.
public struct Backoff: Sendable, Equatable {
    /// The delay before the first retry.
    public var initial: Duration
    public var factor: Double
    public var maximum: Duration
    /// Random extra delay, as a fraction of the computed one (0.1 adds up to 10%).
    public var jitter: Double
    /// How many times a call is retried after its first attempt.
    public var retries: Int

    public init(initial: Duration, factor: Double = 2, maximum: Duration, jitter: Double = 0.1, retries: Int) {
        self.initial = initial
        self.factor = factor
        self.maximum = maximum
        self.jitter = jitter
        self.retries = retries
    }

    /// The ARM SDK's pipeline policy: 3 retries, 5 s doubling up to 60 s.
    public static let arm = Backoff(initial: .seconds(5), maximum: .seconds(60), retries: 3)
    /// IMDS answers 410/429/5xx while the VM agent starts or when throttling; Azure's guidance is to keep
    /// retrying for a while rather than fail the caller (the Go daemon exits on the first failure).
    public static let imds = Backoff(initial: .seconds(1), maximum: .seconds(30), retries: 8)
    /// No retries: for tests and for callers that retry themselves.
    public static let none = Backoff(initial: .zero, maximum: .zero, jitter: 0, retries: 0)

    /// The pause before retry number `retry` (1 for the first retry).
    public func delay(beforeRetry retry: Int) -> Duration {
        let exponent = Double(max(0, retry - 1))
        let base = min(seconds(initial) * pow(factor, exponent), seconds(maximum))
        let spread = jitter > 0 ? Double.random(in: 0...(base * jitter)) : 0
        return .milliseconds(Int64(((base + spread) * 1000).rounded()))
    }
}

func seconds(_ duration: Duration) -> Double {
    let parts = duration.components
    return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
}
