import Foundation
import Synchronization

/// Issues and checks the bearer tokens of the emulated Azure AD, shared by the AAD and IMDS token endpoints
/// (which issue) and ARM (which checks). Tokens are JWT-shaped, so that clients that read `exp` can, but only
/// tokens this authority issued and has not expired or revoked are accepted.
public final class TokenAuthority: Sendable {
    /// What a token was issued for.
    public struct Grant: Sendable, Equatable {
        /// The application (client ID) or managed identity the token stands for.
        public var subject: String
        public var tenant: String
        /// The resource the token is for (`https://management.core.windows.net/`).
        public var audience: String
        public var expiresAt: Date
    }

    /// Why a token is refused.
    public enum Problem: Error, Sendable, Equatable, CustomStringConvertible {
        case missing
        case unknown
        case expired(Date)
        case wrongAudience(String)

        public var description: String {
            switch self {
            case .missing: "no bearer token"
            case .unknown: "the token was not issued by this authority"
            case .expired(let date): "the token expired at \(date)"
            case .wrongAudience(let audience): "the token is for \(audience)"
            }
        }
    }

    /// How long new tokens live.
    public let lifetime: TimeInterval
    private let grants = Mutex<[String: Grant]>([:])

    public init(lifetime: TimeInterval = 3600) {
        self.lifetime = lifetime
    }

    /// A new token for `subject`.
    public func issue(subject: String, tenant: String, audience: String) -> (token: String, grant: Grant) {
        let now = Date()
        let grant = Grant(subject: subject, tenant: tenant, audience: audience, expiresAt: now.addingTimeInterval(lifetime))
        let header = Self.base64URL(Array(#"{"alg":"none","typ":"JWT"}"#.utf8))
        let claims: ARMValue = [
            "aud": .string(audience), "iss": .string("https://sts.windows.net/\(tenant)/"),
            "iat": .integer(Int64(now.timeIntervalSince1970)), "nbf": .integer(Int64(now.timeIntervalSince1970)),
            "exp": .integer(Int64(grant.expiresAt.timeIntervalSince1970)), "appid": .string(subject),
            "oid": .string(subject), "sub": .string(subject), "tid": .string(tenant),
        ]
        let nonce = (0..<16).map { _ in UInt8.random(in: 0...255) }
        let token = "\(header).\(Self.base64URL(claims.jsonBytes)).\(Self.base64URL(nonce))"
        grants.withLock { $0[token] = grant }
        return (token, grant)
    }

    /// The grant behind a token, if it is valid now for `audiences` (any audience when empty).
    public func validate(_ token: String?, audiences: Set<String> = []) -> Result<Grant, Problem> {
        guard let token, !token.isEmpty else { return .failure(.missing) }
        guard let grant = grants.withLock({ $0[token] }) else { return .failure(.unknown) }
        guard grant.expiresAt > Date() else { return .failure(.expired(grant.expiresAt)) }
        let normalized = Set(audiences.map(Self.normalize))
        guard normalized.isEmpty || normalized.contains(Self.normalize(grant.audience)) else {
            return .failure(.wrongAudience(grant.audience))
        }
        return .success(grant)
    }

    /// Makes every token issued so far expired, as if their lifetime had passed.
    public func expireAll() {
        grants.withLock { grants in
            for key in grants.keys { grants[key]?.expiresAt = Date(timeIntervalSince1970: 0) }
        }
    }

    /// Tokens issued so far that are still valid.
    public var validTokenCount: Int { grants.withLock { $0.values.filter { $0.expiresAt > Date() }.count } }

    /// `https://management.core.windows.net/.default` and `…/` name the same resource.
    static func normalize(_ audience: String) -> String {
        var text = audience.lowercased()
        if text.hasSuffix("/.default") { text.removeLast("/.default".count) }
        while text.hasSuffix("/") { text.removeLast() }
        return text
    }

    static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}
