import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Kube
import Logging
import Synchronization

/// An in-memory Kubernetes API server that speaks the real wire protocol, for tests and the sandbox.
///
/// It serves discovery, the core kinds the project uses, RBAC objects and CustomResourceDefinitions (which make
/// their resources served), with kube-apiserver's semantics: cluster-wide resourceVersions and 409 conflicts,
/// status subresources, generation, finalizers and deletionTimestamp, owner-reference garbage collection, label
/// and field selectors, pagination, watches with bookmarks and 410 Gone, merge/JSON/strategic-merge patches and
/// `kubectl get` tables. Optional bearer-token authentication, RBAC and fault injection exercise clients further.
///
/// ```swift
/// let server = try await KubeEmulator().start()
/// defer { Task { await server.stop() } }
/// // point a client at server.url
/// ```
public final class KubeEmulator: Sendable {
    public let configuration: Configuration
    let store: ClusterStore
    let logger: Logger
    private let faults: Mutex<FaultInjection>
    private let tokens: Mutex<[String: UserInfo]>
    private let address = Mutex("127.0.0.1:0")

    public init(configuration: Configuration = Configuration(), logger: Logger = Logger(label: "kube-emulator")) {
        self.configuration = configuration
        self.logger = logger
        store = ClusterStore(historyLimit: configuration.historyLimit)
        faults = Mutex(configuration.faults)
        if case .bearerTokens(let initial) = configuration.authentication {
            tokens = Mutex(initial)
        } else {
            tokens = Mutex([:])
        }
        store.state.withLock { $0.watchDropProbability = configuration.faults.watchDropRate }
    }

    // MARK: Serving

    /// Serves until the calling task is cancelled. `server` chooses the transport (`.http1()`, or a TLS builder
    /// from HummingbirdTLS); `onListening` receives the bound port (useful with port 0).
    public func run(host: String = "127.0.0.1", port: Int = 0, server: HTTPServerBuilder = .http1(),
                    onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws
    {
        // Hummingbird reports connection teardown at shutdown as errors; only a debugging user wants those.
        var serverLogger = logger
        serverLogger.logLevel = logger.logLevel <= .debug ? logger.logLevel : .critical
        let app = Application(
            responder: APIServer(emulator: self), server: server,
            configuration: ApplicationConfiguration(address: .hostname(host, port: port)),
            onServerRunning: { [self] channel in
                let bound = channel.localAddress?.port ?? port
                address.withLock { $0 = "\(host):\(bound)" }
                await onListening(bound)
            },
            logger: serverLogger)
        try await app.run()
    }

    /// Serves HTTPS with `certificates` until the calling task is cancelled.
    public func run(host: String = "127.0.0.1", port: Int = 0, tls certificates: TLSCertificates,
                    onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws
    {
        try await run(host: host, port: port, server: try Self.tlsServer(certificates), onListening: onListening)
    }

    static func tlsServer(_ certificates: TLSCertificates) throws -> HTTPServerBuilder {
        let chain = try NIOSSLCertificate.fromPEMBytes(Array(certificates.certificate.utf8))
        let key = try NIOSSLPrivateKey(bytes: Array(certificates.privateKey.utf8), format: .pem)
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.applicationProtocols = ["http/1.1"]
        return try .tls(.http1(), tlsConfiguration: configuration)
    }

    /// Starts serving in the background on `host:port` (0: any free port), over HTTPS when `tls` is given, and
    /// returns once listening.
    public func start(host: String = "127.0.0.1", port: Int = 0, tls certificates: TLSCertificates? = nil) async throws
        -> RunningKubeEmulator
    {
        let server = try certificates.map(Self.tlsServer) ?? .http1()
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let task = Task { [self] in
            defer { continuation.finish() }
            try await run(host: host, port: port, server: server) { continuation.yield($0) }
        }
        var iterator = ports.makeAsyncIterator()
        guard let bound = await iterator.next() else {
            try await task.value
            throw KubeEmulatorError.notListening(host: host, port: port)
        }
        return RunningKubeEmulator(emulator: self, host: host, port: bound, certificates: certificates, task: task)
    }

    /// `host:port` the server listens on, as discovery reports it.
    var serverAddress: String { address.withLock { $0 } }

    // MARK: Fault injection

    /// Replaces the injected faults.
    public func setFaults(_ newFaults: FaultInjection) {
        faults.withLock { $0 = newFaults }
        store.state.withLock { $0.watchDropProbability = newFaults.watchDropRate }
    }

    public var currentFaults: FaultInjection { faults.withLock { $0 } }

    /// Closes every open watch stream now, as a restarting API server or a broken connection would.
    public func dropWatches() {
        store.state.withLock { $0.stopAllWatches() }
    }

    /// The number of watches currently open.
    public var openWatchCount: Int { store.state.withLock { $0.watchers.count } }

    func injectFaults(_ request: APIRequest) async throws(APIError) {
        let faults = currentFaults
        guard faults != .none else { return }
        if faults.delayRate > 0, Double.random(in: 0..<1) < faults.delayRate {
            try? await Task.sleep(for: faults.delay)
        }
        if faults.tooManyRequestsRate > 0, Double.random(in: 0..<1) < faults.tooManyRequestsRate {
            var details = StatusDetails()
            details.retryAfterSeconds = Int32(faults.retryAfterSeconds)
            var error = APIError(code: 429, reason: .tooManyRequests,
                                 message: "Too many requests, please try again later.", details: details)
            error.headers = [("Retry-After", String(faults.retryAfterSeconds))]
            throw error
        }
        if faults.internalErrorRate > 0, Double.random(in: 0..<1) < faults.internalErrorRate {
            throw APIError.internalError("injected fault")
        }
    }

    // MARK: Authentication

    /// Accepts `token` as `user` from now on (with `.bearerTokens` authentication).
    public func addToken(_ token: String, for user: UserInfo) {
        tokens.withLock { $0[token] = user }
    }

    /// A new token that authenticates as the service account `namespace/name`.
    public func serviceAccountToken(namespace: String, name: String) -> String {
        let token = "sa-" + UUID().uuidString.lowercased()
        addToken(token, for: .serviceAccount(namespace: namespace, name: name))
        return token
    }

    func authenticate(_ header: String?) throws(APIError) -> UserInfo {
        guard case .bearerTokens = configuration.authentication else { return .admin }
        let unauthorized = APIError(code: 401, reason: .unauthorized, message: "Unauthorized")
        guard let header, header.hasPrefix("Bearer ") else { throw unauthorized }
        let token = String(header.dropFirst("Bearer ".count)).trimmingSpaces
        guard let user = tokens.withLock({ $0[token] }) else { throw unauthorized }
        return user
    }

    func authorize(_ request: APIRequest, _ target: ResourceTarget) throws(APIError) {
        guard case .rbac = configuration.authorization else { return }
        let verb = target.verb(request)
        let allowed = store.state.withLock { state in
            RBACAuthorizer(state: state).allows(request.user, verb: verb, target: target)
        }
        guard allowed else { throw RBACAuthorizer.forbidden(request.user, verb: verb, target: target) }
    }

    // MARK: Direct access (test setup)

    /// Creates an object without HTTP (its resource found from `apiVersion` and `kind`), as a client's POST would.
    @discardableResult
    public func create(_ object: JSONValue) throws(Status) -> JSONValue {
        do {
            return try store.perform { (state: inout StoreState) throws(APIError) in
                let type = try state.resourceType(for: object)
                return try state.create(type, namespace: object.namespace, body: object, dryRun: false)
            }
        } catch {
            throw error.status
        }
    }

    /// Binds the pending pod `namespace/name` to `node`, as a scheduler's Binding does (409 when it is bound already).
    public func bindPod(namespace: String, name: String, node: String) throws(Status) {
        do {
            _ = try store.perform { (state: inout StoreState) throws(APIError) in
                let type = try state.resourceType(for: ["apiVersion": "v1", "kind": "Pod"])
                let key = ObjectKey(namespace: namespace, name: name)
                guard var pod = state.objects[type.key]?[key] else { throw APIError.notFound(type, name) }
                pod[path: ["spec", "nodeName"]] = .string(node)
                return try state.update(type, key: key, body: pod, subresource: .binding, dryRun: false)
            }
        } catch {
            throw error.status
        }
    }

    /// The stored object, or nil.
    public func object(apiVersion: String, kind: String, namespace: String = "", name: String) -> JSONValue? {
        store.state.withLock { state in
            guard let type = try? state.resourceType(for: ["apiVersion": .string(apiVersion), "kind": .string(kind)]) else {
                return nil
            }
            return state.objects[type.key]?[ObjectKey(namespace: type.namespaced ? namespace : "", name: name)]
        }
    }

    /// The newest resourceVersion.
    public var resourceVersion: Int64 { store.revision }
}

extension StoreState {
    /// The served resource of an object's `apiVersion` and `kind`.
    func resourceType(for object: JSONValue) throws(APIError) -> ResourceType {
        let apiVersion = object["apiVersion"]?.stringValue ?? ""
        let kind = object["kind"]?.stringValue ?? ""
        let parts = apiVersion.split(separator: "/").map(String.init)
        let (group, version) = parts.count == 2 ? (parts[0], parts[1]) : ("", apiVersion)
        guard let type = registry.types.values.first(where: {
            $0.group == group && $0.kind == kind && $0.versions.contains(version)
        }) else {
            throw APIError.badRequest("no resource serves \(kind) in \(apiVersion)")
        }
        return type
    }
}

/// A running emulator: where it listens, and how to stop it.
public final class RunningKubeEmulator: Sendable {
    public let emulator: KubeEmulator
    public let host: String
    public let port: Int
    /// The certificates served with, when the server speaks HTTPS.
    public let certificates: TLSCertificates?
    private let task: Task<Void, any Error>

    init(emulator: KubeEmulator, host: String, port: Int, certificates: TLSCertificates?, task: Task<Void, any Error>) {
        self.emulator = emulator
        self.host = host
        self.port = port
        self.certificates = certificates
        self.task = task
    }

    /// `http://HOST:PORT` or `https://HOST:PORT`.
    public var url: String { "\(certificates == nil ? "http" : "https")://\(host):\(port)" }

    /// Closes open watches (so that graceful shutdown does not wait for them) and stops the server.
    public func stop() async {
        emulator.dropWatches()
        task.cancel()
        _ = try? await task.value
    }

    /// A kubeconfig for this server (see `Kubeconfig.render`).
    public func kubeconfig(token: String? = nil, namespace: String = "default") -> String {
        Kubeconfig.render(server: url, certificateAuthority: certificates?.certificateAuthority, token: token,
                          namespace: namespace)
    }
}

/// Why the emulator could not start.
public enum KubeEmulatorError: Error, CustomStringConvertible {
    case notListening(host: String, port: Int)

    public var description: String {
        switch self {
        case .notListening(let host, let port): "kube emulator: server on \(host):\(port) stopped before listening"
        }
    }
}
