import Foundation

/// Reuses a token until `refreshMargin` before it expires, and lets concurrent callers share one fetch, so that
/// a burst of ARM calls costs one token request and no call carries a token that expires in flight.
public actor CachingCredential: TokenCredential {
    public nonisolated let source: any TokenCredential
    public nonisolated let refreshMargin: Duration
    private var cached: AccessToken?
    private var inFlight: Task<AccessToken, any Error>?
    private let now: @Sendable () -> Date

    public init(_ source: any TokenCredential, refreshMargin: Duration = .seconds(300), now: @escaping @Sendable () -> Date = Date.init) {
        self.source = source
        self.refreshMargin = refreshMargin
        self.now = now
    }

    public func token() async throws(CredentialError) -> AccessToken {
        if let cached, cached.expiresOn.timeIntervalSince(now()) > seconds(refreshMargin) { return cached }
        let task = inFlight ?? Task { [source] in try await source.token() }
        inFlight = task
        defer { inFlight = nil }
        do {
            let fresh = try await task.value
            cached = fresh
            return fresh
        } catch let error as CredentialError {
            throw error
        } catch {
            throw .notConfigured("\(error)")
        }
    }

    /// Forgets `token` if it is the cached one, so the next call fetches a new token: for when the server refused it
    /// before its stated expiry.
    public func invalidate(_ token: AccessToken) {
        if cached == token { cached = nil }
    }

    public nonisolated var description: String { "cached \(source)" }
}
