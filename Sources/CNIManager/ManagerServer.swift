#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import Hummingbird
import HummingbirdCore
import Logging
import ServiceLifecycle

/// The cni-manager's server: ``ManagerAPI`` on a unix socket, never TCP. Upstream's gRPC port on
/// every node address let any pod register its own key as another pod's peer; a socket in a
/// root-only directory with mode 0600 admits only the runtime's plugin.
///
/// Bodies are read up to ``ManagerAPI/maximumRequestSize``, each operation has a deadline, and
/// idle connections are closed, so a stuck client cannot pile up work in the manager.
public struct ManagerServer: Service {
    /// What the server answers from.
    public struct Handlers: Sendable {
        public var registry: PodEndpointRegistry
        /// The status answer of the moment.
        public var status: @Sendable () -> ManagerAPI.StatusResponse

        public init(registry: PodEndpointRegistry, status: @escaping @Sendable () -> ManagerAPI.StatusResponse) {
            self.registry = registry
            self.status = status
        }
    }

    public let socketPath: String
    /// Longest time one operation may take (the Kubernetes calls behind it).
    public var operationTimeout: Duration
    let handlers: Handlers
    let logger: Logger
    private let onListening: @Sendable () async -> Void

    public init(socketPath: String, handlers: Handlers, operationTimeout: Duration = .seconds(20), logger: Logger,
                onListening: @escaping @Sendable () async -> Void = {}) {
        self.socketPath = socketPath
        self.handlers = handlers
        self.operationTimeout = operationTimeout
        self.logger = logger
        self.onListening = onListening
    }

    public func run() async throws {
        try SocketFile.prepare(socketPath)
        defer { unlink(socketPath) }
        var serverLogger = logger
        serverLogger.logLevel = logger.logLevel <= .debug ? logger.logLevel : .critical
        let app = Application(
            router: router(),
            server: .http1(configuration: .init(idleTimeout: .seconds(30))),
            configuration: ApplicationConfiguration(address: .unixDomainSocket(path: socketPath)),
            onServerRunning: { [socketPath, logger, onListening] _ in
                if chmod(socketPath, 0o600) != 0 {
                    logger.error("cannot set mode 0600 on \(socketPath): errno \(errno)")
                }
                logger.info("cni-manager API listening", metadata: ["socket": "\(socketPath)"])
                await onListening()
            },
            logger: serverLogger)
        try await app.run()
    }

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        let registry = handlers.registry
        route(router, .podAnnotations) { (request: ManagerAPI.PodAnnotationsRequest) throws(ManagerError) in
            ManagerAPI.PodAnnotationsResponse(annotations: try await registry.annotations(of: request.pod))
        }
        route(router, .nicAdd) { (request: ManagerAPI.NicAddRequest) throws(ManagerError) in
            try await registry.register(request)
        }
        route(router, .nicDel) { (request: ManagerAPI.NicDelRequest) throws(ManagerError) in
            ManagerAPI.NicDelResponse(removed: try await registry.unregister(request))
        }
        route(router, .garbageCollect) { (request: ManagerAPI.GarbageCollectRequest) throws(ManagerError) in
            ManagerAPI.GarbageCollectResponse(
                removed: try await registry.collectGarbage(validContainerIDs: Set(request.validContainerIDs)))
        }
        let status = handlers.status
        router.get(RouterPath(ManagerAPI.Operation.status.path)) { _, _ in
            Self.json(200, ManagerAPI.encode(status()))
        }
        return router
    }

    private func route<Input: Decodable & Sendable, Output: Encodable & Sendable>(
        _ router: Router<BasicRequestContext>, _ operation: ManagerAPI.Operation,
        _ body: @escaping @Sendable (Input) async throws(ManagerError) -> Output
    ) {
        let timeout = operationTimeout
        let logger = logger
        router.post(RouterPath(operation.path)) { request, _ -> Response in
            var request = request
            let bytes: ByteBuffer
            do {
                bytes = try await request.collectBody(upTo: ManagerAPI.maximumRequestSize)
            } catch {
                return Self.error(413, "\(operation.rawValue): request body larger than \(ManagerAPI.maximumRequestSize) bytes")
            }
            do throws(ManagerError) {
                let input: Input
                do {
                    input = try JSONDecoder().decode(Input.self, from: Data(buffer: bytes))
                } catch {
                    throw .undecodable(operation: operation.rawValue, reason: "\(error)")
                }
                let output = try await Deadline.run(timeout, operation: operation.rawValue) { () throws(ManagerError) in
                    try await body(input)
                }
                return Self.json(200, ManagerAPI.encode(output))
            } catch {
                logger.warning("\(operation.rawValue) failed: \(error)")
                return Self.error(error.httpStatus, error.description)
            }
        }
    }

    static func error(_ status: Int, _ message: String) -> Response {
        json(status, ManagerAPI.encode(ManagerAPI.ErrorBody(message: message)))
    }

    static func json(_ status: Int, _ body: [UInt8]) -> Response {
        Response(status: .init(code: status), headers: [.contentType: "application/json"],
                 body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}

/// Bounds an operation in time.
enum Deadline {
    static func run<T: Sendable>(_ limit: Duration, operation: String,
                                 _ body: @escaping @Sendable () async throws(ManagerError) -> T) async throws(ManagerError) -> T {
        let outcome = await withTaskGroup(of: Result<T, ManagerError>?.self) { group in
            group.addTask {
                do throws(ManagerError) { return .success(try await body()) } catch { return .failure(error) }
            }
            group.addTask {
                try? await Task.sleep(for: limit)
                return nil
            }
            defer { group.cancelAll() }
            return await group.next() ?? nil
        }
        guard let outcome else { throw .timedOut(operation: operation) }
        return try outcome.get()
    }
}

/// The socket's place in the file system.
enum SocketFile {
    /// Creates the directory (mode 0700: nobody else can even reach the socket during the moment
    /// between bind and chmod) and removes a socket a previous manager left behind.
    static func prepare(_ path: String) throws {
        if let slash = path.lastIndex(of: "/"), slash != path.startIndex {
            let directory = String(path[..<slash])
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        }
        var info = stat()
        if lstat(path, &info) == 0 {
            guard info.st_mode & S_IFMT == S_IFSOCK else {
                throw ManagerSocketError(path: path, reason: "exists and is not a socket")
            }
            unlink(path)
        }
    }
}

/// The socket path cannot be used.
public struct ManagerSocketError: Error, CustomStringConvertible {
    public let path: String
    public let reason: String
    public var description: String { "cni-manager socket \(path): \(reason)" }
}
