extension ARMEmulator {
    /// How the emulated Resource Manager behaves.
    public struct Configuration: Sendable {
        /// api-versions accepted per resource kind; any other is refused as ARM refuses an unknown version.
        /// The defaults are the versions the Go operator's SDKs pin (spec §5.3), so a client that drifts fails.
        public var apiVersions: [ResourceKind: Set<String>]
        /// api-versions accepted on resource groups.
        public var resourceGroupAPIVersions: Set<String> = ["2021-04-01", "2022-09-01", "2024-03-01"]
        /// Items per page of a list; the rest follows through `nextLink`.
        public var pageSize = 100
        /// How many polls of its status a long-running PUT or DELETE takes to finish; 0 answers synchronously
        /// (200 with the final resource) without an operation to poll.
        public var operationPolls = 0
        /// `Retry-After` sent with 201/202 answers and with operations still in progress.
        public var pollRetryAfterSeconds = 0
        /// An operation also finishes this long after it started, polled or not, as Azure's do: a client killed
        /// mid-operation then leaves no resource blocked (`AnotherOperationInProgress`) for good. nil: only polls.
        public var operationLifetime: Duration?
        /// How long-running operations are announced; resource providers differ.
        public var operationStyle = OperationStyle.asyncOperation
        /// Where public IP prefixes and standalone public IPs get their addresses (documentation ranges).
        public var publicAddressPool = ["203.0.113.0/24", "198.51.100.0/24", "192.0.2.0/24"]
        /// Faults injected from the start.
        public var faults = FaultInjection.none
        /// Bearer tokens ARM requires; nil accepts requests without any.
        public var tokenAuthority: TokenAuthority?
        /// The token audiences ARM accepts.
        public var tokenAudiences: Set<String> = ["https://management.core.windows.net/", "https://management.azure.com/"]
        /// The scheme of the links the emulator hands out (operations, next pages): `https` when served with TLS.
        public var scheme = "http"

        public init() {
            var versions: [ResourceKind: Set<String>] = [:]
            for kind in ResourceKind.allCases {
                switch kind {
                // The SDK's VMSS-NIC GET is the one that still pins the old Network version.
                case .scaleSetNIC, .scaleSetPublicIP: versions[kind] = ["2018-10-01"]
                default: versions[kind] = kind.namespace == "Microsoft.Network" ? ["2025-05-01"] : ["2025-04-01"]
                }
            }
            apiVersions = versions
        }
    }

    /// The headers a long-running operation is announced with.
    public enum OperationStyle: Sendable, Equatable {
        /// PUT: 200/201 with the resource and `Azure-AsyncOperation`; DELETE: 202 with `Azure-AsyncOperation` and
        /// `Location` (what Network and Compute send).
        case asyncOperation
        /// PUT and DELETE: 202 without a body and with `Location` only, which answers 202 until the operation ends
        /// and then the final resource (or the operation's error).
        case location
    }

    /// Which requests a rate-based fault hits.
    public enum RequestClass: Sendable, Equatable {
        case all
        /// GET and HEAD.
        case reads
        /// PUT, PATCH, POST, DELETE.
        case writes
        /// Requests with `method` whose path ends with `pathSuffix`, compared case-insensitively as ARM compares
        /// IDs: one resource, or one collection such as `…/virtualMachineScaleSets/NAME/virtualMachines`. A test
        /// fails exactly the call it means, whatever else the client sends meanwhile.
        case request(method: String, pathSuffix: String)

        func matches(method: String, path: String) -> Bool {
            switch self {
            case .all: true
            case .reads: method == "GET" || method == "HEAD"
            case .writes: method != "GET" && method != "HEAD"
            case .request(let wanted, let suffix):
                method == wanted && path.lowercased().hasSuffix(suffix.lowercased())
            }
        }
    }

    /// One injected fault.
    public enum Fault: Sendable, Equatable {
        /// 429 `TooManyRequests` with `Retry-After`.
        case throttle(retryAfterSeconds: Int)
        /// 500 `InternalServerError`.
        case internalError
        /// 503 `ServerBusy` with `Retry-After`.
        case unavailable(retryAfterSeconds: Int)
        /// The connection is closed without an answer.
        case dropConnection
        /// The answer comes this much later.
        case delay(Duration)
        /// The request is accepted but its long-running operation ends `Failed`.
        case failOperation
        /// The answer is cut off halfway through its JSON body (with a matching `Content-Length`, as a broken proxy
        /// or a crashed front end sends it).
        case truncateBody
        /// Something other than ARM answers: a proxy's HTML error page, a captive portal, a JSON document of the
        /// wrong shape.
        case foreignAnswer(status: Int, contentType: String, body: String)
        /// ARM refuses the request with this status and error envelope (a 403 `AuthorizationFailed`, a 404 for a
        /// resource deleted meanwhile): a failure the client does not retry, unlike `internalError`.
        case error(status: Int, code: String, message: String)
    }

    /// Faults at rates (0…1 per request), for soak tests and the sandbox; `enqueue` gives exact sequences.
    public struct FaultInjection: Sendable, Equatable {
        public var appliesTo = RequestClass.all
        public var throttleRate = 0.0
        public var retryAfterSeconds = 1
        public var internalErrorRate = 0.0
        public var dropConnectionRate = 0.0
        public var delayRate = 0.0
        public var delay = Duration.milliseconds(200)
        public var operationFailureRate = 0.0

        public init(appliesTo: RequestClass = .all, throttleRate: Double = 0, retryAfterSeconds: Int = 1,
                    internalErrorRate: Double = 0, dropConnectionRate: Double = 0, delayRate: Double = 0,
                    delay: Duration = .milliseconds(200), operationFailureRate: Double = 0)
        {
            self.appliesTo = appliesTo
            self.throttleRate = throttleRate
            self.retryAfterSeconds = retryAfterSeconds
            self.internalErrorRate = internalErrorRate
            self.dropConnectionRate = dropConnectionRate
            self.delayRate = delayRate
            self.delay = delay
            self.operationFailureRate = operationFailureRate
        }

        public static let none = FaultInjection()

        /// The faults that hit one request, drawn at the configured rates.
        func draw(method: String, path: String) -> [Fault] {
            guard appliesTo.matches(method: method, path: path) else { return [] }
            var faults: [Fault] = []
            func hit(_ rate: Double) -> Bool { rate > 0 && Double.random(in: 0..<1) < rate }
            if hit(delayRate) { faults.append(.delay(delay)) }
            if hit(dropConnectionRate) { faults.append(.dropConnection) }
            if hit(throttleRate) { faults.append(.throttle(retryAfterSeconds: retryAfterSeconds)) }
            if hit(internalErrorRate) { faults.append(.internalError) }
            if hit(operationFailureRate) { faults.append(.failOperation) }
            return faults
        }
    }

    /// One request as the emulator answered it.
    public struct RequestRecord: Sendable, Equatable, CustomStringConvertible {
        public var method: String
        public var path: String
        public var status: Int
        /// The resource kind addressed, when the path names one.
        public var kind: ResourceKind?
        /// The JSON body a write carried, to check exactly what a client sends (partial bodies, kept members).
        public var body: ARMValue? = nil
        /// The `If-Match` header, if any.
        public var ifMatch: String? = nil

        public var isWrite: Bool { !["GET", "HEAD"].contains(method) }

        public var description: String { "\(method) \(path) → \(status)" }
    }
}
