import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import Synchronization

/// An in-memory Azure Resource Manager for the resources egressgw uses, speaking ARM's wire protocol.
///
/// It serves load balancers, virtual networks and subnets, NICs, public IP prefixes and addresses, scale sets
/// with their instances, instance NICs and public IPs, and VMs, with ARM's behaviour: case-insensitive IDs,
/// the `{"error":{"code","message"}}` envelope and its codes, ETags and `If-Match`, api-versions checked per
/// provider, long-running operations, `nextLink` paging, private and public address allocation, referential
/// integrity, optional bearer-token authentication, a request log and fault injection. It is a test double at
/// the wire level: clients talk to it over HTTP and it shares no code with them.
///
/// ```swift
/// let arm = ARMEmulator()
/// arm.addResourceGroup(subscription: "sub", name: "rg", location: "eastus")
/// let server = try await arm.start()
/// defer { Task { await server.stop() } }
/// ```
public final class ARMEmulator: Sendable {
    public let configuration: Configuration
    let state: Mutex<FabricState>
    let logger: Logger
    private let faultRates: Mutex<FaultInjection>
    private let scriptedFaults = Mutex<[(RequestClass, Fault)]>([])
    private let records = Mutex<[RequestRecord]>([])
    private let observers = Mutex<[UInt64: AsyncStream<Void>.Continuation]>([:])
    private let nextObserver = Atomic<UInt64>(0)

    public init(configuration: Configuration = Configuration(), logger: Logger = Logger(label: "arm-emulator")) {
        self.configuration = configuration
        self.logger = logger
        state = Mutex(FabricState(publicAddressPool: configuration.publicAddressPool.compactMap(IPv4Prefix.init)))
        faultRates = Mutex(configuration.faults)
    }

    // MARK: Serving

    /// Serves until the calling task is cancelled; `onListening` receives the bound port.
    public func run(host: String = "127.0.0.1", port: Int = 0, server: HTTPServerBuilder = .http1(),
                    onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws
    {
        var serverLogger = logger
        serverLogger.logLevel = logger.logLevel <= .debug ? logger.logLevel : .critical
        let app = Application(
            responder: ARMServer(emulator: self), server: server,
            configuration: ApplicationConfiguration(address: .hostname(host, port: port)),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? port) },
            logger: serverLogger)
        try await app.run()
    }

    /// A TLS server from a PEM certificate chain and key (for clients that insist on https).
    public static func tlsServer(certificateChainPEM: String, privateKeyPEM: String) throws -> HTTPServerBuilder {
        let chain = try NIOSSLCertificate.fromPEMBytes(Array(certificateChainPEM.utf8))
        let key = try NIOSSLPrivateKey(bytes: Array(privateKeyPEM.utf8), format: .pem)
        var tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        tls.applicationProtocols = ["http/1.1"]
        return try .tls(.http1(), tlsConfiguration: tls)
    }

    /// Starts serving in the background and returns once listening.
    public func start(host: String = "127.0.0.1", port: Int = 0, server: HTTPServerBuilder = .http1())
        async throws -> RunningServer
    {
        try await RunningServer.start(host: host, port: port, scheme: configuration.scheme) { [self] ready in
            try await run(host: host, port: port, server: server, onListening: ready)
        }
    }

    // MARK: Faults

    public func setFaults(_ faults: FaultInjection) { faultRates.withLock { $0 = faults } }

    /// Injects `fault` into the next `count` requests of `requests`, before any rate-based fault.
    public func enqueue(_ fault: Fault, for requests: RequestClass = .all, count: Int = 1) {
        scriptedFaults.withLock { $0 += Array(repeating: (requests, fault), count: count) }
    }

    func faults(for method: String, path: String) -> [Fault] {
        let scripted: Fault? = scriptedFaults.withLock { queue in
            guard let index = queue.firstIndex(where: { $0.0.matches(method: method, path: path) }) else { return nil }
            return queue.remove(at: index).1
        }
        return scripted.map { [$0] } ?? faultRates.withLock { $0 }.draw(method: method, path: path)
    }

    // MARK: Request log

    /// Every request answered so far, oldest first.
    public var requestLog: [RequestRecord] { records.withLock { $0 } }

    /// How many writes (PUT, PATCH, POST, DELETE) addressed resources of `kind`, whatever their answer.
    public func writeCount(_ kind: ResourceKind) -> Int {
        records.withLock { $0.filter { $0.isWrite && $0.kind == kind }.count }
    }

    public func clearRequestLog() { records.withLock { $0.removeAll() } }

    func record(_ entry: RequestRecord) {
        records.withLock { $0.append(entry) }
        logger.debug("\(entry)")
        // Writes change resources; so may a poll of an operation (kind nil), which can finish a DELETE.
        if entry.isWrite || entry.kind == nil { notifyObservers() }
    }

    // MARK: Observing

    /// Yields after the stored resources may have changed (a write, a finished operation, a direct change),
    /// coalesced: a reader that falls behind sees one element for many changes, so it re-reads the state.
    public func changes() -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let key = nextObserver.add(1, ordering: .relaxed).newValue
        observers.withLock { $0[key] = continuation }
        continuation.onTermination = { [weak self] _ in _ = self?.observers.withLock { $0.removeValue(forKey: key) } }
        return stream
    }

    func notifyObservers() {
        for continuation in observers.withLock({ Array($0.values) }) { continuation.yield() }
    }

    // MARK: Direct access (seeding and assertions)

    public func addResourceGroup(subscription: String, name: String, location: String) {
        state.withLock { $0.addResourceGroup(subscription: subscription, name: name, location: location) }
        notifyObservers()
    }

    /// Creates or replaces a resource without HTTP, with the checks of a PUT. VMs, which the API only reads,
    /// are stored as given.
    @discardableResult
    public func create(_ id: ResourceID, _ body: ARMValue) throws(ARMError) -> ARMValue {
        defer { notifyObservers() }
        return try state.withLock { (state: inout FabricState) throws(ARMError) -> ARMValue in
            try state.atomically { (state: inout FabricState) throws(ARMError) -> ARMValue in
                guard id.kind == .virtualMachine else {
                    return try state.put(id, body: body, merge: id.kind.putMerges, ifMatch: nil, ifNoneMatch: nil).body
                }
                let group = try state.resourceGroup(subscription: id.subscription, name: id.resourceGroup)
                let id = state.canonical(id)
                var vm = body
                if vm["location"] == nil { vm["location"] = .string(group.location) }
                if vm[path: "properties", "vmId"] == nil { vm[path: "properties", "vmId"] = .string(UUID().uuidString.lowercased()) }
                let previous = state.resources[id.key]
                state.stamp(&vm, id: id, previous: previous?.body)
                state.resources[id.key] = StoredResource(id: id, body: vm, sequence: previous?.sequence ?? state.takeSequence())
                return vm
            }
        }
    }

    /// Adds instances to a scale set, each a copy of the current network model with its own NICs and addresses.
    @discardableResult
    public func addInstances(to scaleSet: ResourceID, count: Int) throws(ARMError) -> [ARMValue] {
        defer { notifyObservers() }
        return try state.withLock { (state: inout FabricState) throws(ARMError) -> [ARMValue] in
            try state.atomically { (state: inout FabricState) throws(ARMError) -> [ARMValue] in
                try state.addInstances(to: scaleSet, count: count)
            }
        }
    }

    /// The resource as a GET answers it, or nil.
    public func resource(_ id: ResourceID) -> ARMValue? {
        state.withLock { try? $0.read(id) }
    }

    /// Every resource of `kind`, as GETs answer them, in creation order.
    public func resources(_ kind: ResourceKind) -> [ARMValue] {
        state.withLock { state in state.all(kind).map(state.decorate) }
    }

    /// Sets `provisioningState` (for example `Failed`, as a broken instance reports).
    public func setProvisioningState(_ value: String, of id: ResourceID) {
        state.withLock { state in
            state.resources[id.key]?.body[path: "properties", "provisioningState"] = .string(value)
        }
        notifyObservers()
    }
}

/// A server started in the background: where it listens, and how to stop it.
public final class RunningServer: Sendable {
    public let host: String
    public let port: Int
    public let scheme: String
    private let task: Task<Void, any Error>

    init(host: String, port: Int, scheme: String, task: Task<Void, any Error>) {
        self.host = host
        self.port = port
        self.scheme = scheme
        self.task = task
    }

    static func start(host: String, port: Int, scheme: String,
                      _ run: @escaping @Sendable (@escaping @Sendable (Int) async -> Void) async throws -> Void)
        async throws -> RunningServer
    {
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let task = Task {
            defer { continuation.finish() }
            try await run { continuation.yield($0) }
        }
        var iterator = ports.makeAsyncIterator()
        guard let bound = await iterator.next() else {
            try await task.value
            throw ServerError.notListening(host: host, port: port)
        }
        return RunningServer(host: host, port: bound, scheme: scheme, task: task)
    }

    /// `http://HOST:PORT`.
    public var url: String { "\(scheme)://\(host.contains(":") ? "[\(host)]" : host):\(port)" }

    public func stop() async {
        task.cancel()
        _ = try? await task.value
    }
}

/// Why an emulator could not start.
public enum ServerError: Error, CustomStringConvertible {
    case notListening(host: String, port: Int)

    public var description: String {
        switch self {
        case .notListening(let host, let port): "emulator: server on \(host):\(port) stopped before listening"
        }
    }
}
