import Kube

extension KubeEmulator {
    /// What `/version` reports.
    public struct VersionInfo: Sendable {
        public var major: String
        public var minor: String
        public var gitVersion: String

        public init(major: String = "1", minor: String = "32", gitVersion: String = "v1.32.0-egressgw-emulator") {
            self.major = major
            self.minor = minor
            self.gitVersion = gitVersion
        }
    }

    /// How the emulator behaves; the defaults suit unit tests (quick bookmarks, a history of 10,000 changes).
    public struct Configuration: Sendable {
        /// How many changes are kept for watches to resume from; older resourceVersions answer 410 Gone.
        public var historyLimit: Int
        /// Events a watch may have queued beyond its initial state before the server drops it as too slow.
        public var watchBufferLimit: Int
        /// How often a watch that allows bookmarks receives one.
        public var bookmarkInterval: Duration
        /// The longest a watch stays open; a client's `timeoutSeconds` can only shorten it.
        public var maximumWatchTimeout: Duration
        public var version: VersionInfo
        /// Who a request is: no authentication (everyone is `system:admin`), or bearer tokens.
        public var authentication: Authentication
        /// Whether RBAC objects in the store decide what an authenticated user may do.
        public var authorization: AuthorizationMode
        public var faults: FaultInjection

        public init(
            historyLimit: Int = 10_000, watchBufferLimit: Int = 100_000, bookmarkInterval: Duration = .seconds(1),
            maximumWatchTimeout: Duration = .seconds(1800), version: VersionInfo = VersionInfo(),
            authentication: Authentication = .disabled, authorization: AuthorizationMode = .alwaysAllow,
            faults: FaultInjection = FaultInjection()
        ) {
            self.historyLimit = historyLimit
            self.watchBufferLimit = watchBufferLimit
            self.bookmarkInterval = bookmarkInterval
            self.maximumWatchTimeout = maximumWatchTimeout
            self.version = version
            self.authentication = authentication
            self.authorization = authorization
            self.faults = faults
        }
    }
}

/// Failures the emulator injects into resource requests (never into discovery), to exercise client retries.
public struct FaultInjection: Sendable, Equatable {
    /// Share of requests answered `429 TooManyRequests` with `Retry-After`.
    public var tooManyRequestsRate: Double
    /// Share of requests answered `500 InternalError`.
    public var internalErrorRate: Double
    /// Share of requests delayed by `delay` before they are served.
    public var delayRate: Double
    public var delay: Duration
    /// Chance that a watch stream is cut after each event it delivers.
    public var watchDropRate: Double
    /// The `Retry-After` seconds of 429 answers.
    public var retryAfterSeconds: Int

    public init(tooManyRequestsRate: Double = 0, internalErrorRate: Double = 0, delayRate: Double = 0,
                delay: Duration = .milliseconds(100), watchDropRate: Double = 0, retryAfterSeconds: Int = 1)
    {
        self.tooManyRequestsRate = tooManyRequestsRate
        self.internalErrorRate = internalErrorRate
        self.delayRate = delayRate
        self.delay = delay
        self.watchDropRate = watchDropRate
        self.retryAfterSeconds = retryAfterSeconds
    }

    /// No faults.
    public static let none = FaultInjection()
}

/// A user as authentication establishes it: a name and groups, as RBAC subjects name them.
public struct UserInfo: Sendable, Hashable {
    public var name: String
    public var groups: [String]

    public init(name: String, groups: [String] = []) {
        self.name = name
        self.groups = groups
    }

    /// The identity of a service account's token: `system:serviceaccount:NS:NAME`, in the service-account groups.
    public static func serviceAccount(namespace: String, name: String) -> UserInfo {
        UserInfo(name: "system:serviceaccount:\(namespace):\(name)",
                 groups: ["system:serviceaccounts", "system:serviceaccounts:\(namespace)", "system:authenticated"])
    }

    /// The cluster administrator: member of `system:masters`, which RBAC never restricts.
    public static let admin = UserInfo(name: "system:admin", groups: ["system:masters", "system:authenticated"])
}

/// How requests are authenticated.
public enum Authentication: Sendable {
    /// Every request acts as `UserInfo.admin`.
    case disabled
    /// `Authorization: Bearer TOKEN` must name one of these tokens (more can be added at run time with
    /// `KubeEmulator.addToken`); anything else is answered 401.
    case bearerTokens([String: UserInfo])
}

/// How authenticated requests are authorized.
public enum AuthorizationMode: Sendable {
    case alwaysAllow
    /// Roles, ClusterRoles and their bindings in the store decide; `system:masters` may do everything.
    case rbac
}
