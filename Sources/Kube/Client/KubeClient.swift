import HTTPClient
import Synchronization

/// A client of one Kubernetes API server. It is cheap to share: one per process (per credentials) serves every
/// resource, informer and controller, over one pool of connections.
///
/// Reach resources through ``resource(_:namespace:)`` (typed) or ``dynamic(_:namespace:)`` (`DynamicObject`).
public final class KubeClient: Sendable {
    public let configuration: KubeClientConfiguration
    private let transport: Transport

    public init(configuration: KubeClientConfiguration) throws(KubeError) {
        self.configuration = configuration
        transport = try Transport(configuration: configuration)
    }

    /// The typed objects of `type`'s resource, in `namespace` (nil: all namespaces, or cluster scope).
    public func resource<Object: KubernetesObject>(
        _ type: Object.Type, namespace: String? = nil
    ) -> ResourceClient<Object> {
        ResourceClient(client: self, resource: Object.resource, namespace: namespace)
    }

    /// The objects of any resource as `DynamicObject`s.
    public func dynamic(_ resource: ResourceDescriptor, namespace: String? = nil) -> ResourceClient<DynamicObject> {
        ResourceClient(client: self, resource: resource, namespace: namespace)
    }

    /// Objects of `resource` decoded as `type`: a model of another shape than the resource's own (a partial view).
    public func resource<Object: APIObject>(
        _ resource: ResourceDescriptor, as type: Object.Type, namespace: String? = nil
    ) -> ResourceClient<Object> {
        ResourceClient(client: self, resource: resource, namespace: namespace)
    }

    // MARK: Requests

    /// The full URL of `path` with `query`.
    func url(path: String, query: [(String, String)] = []) -> String {
        query.isEmpty ? configuration.server + path : "\(configuration.server)\(path)?\(QueryString.encode(query))"
    }

    /// Sends a request and returns its 2xx answer; any other status becomes the matching `KubeError`.
    func send(
        _ method: HTTPMethod, path: String, query: [(String, String)] = [], body: [UInt8]? = nil,
        contentType: String = "application/json"
    ) async throws(KubeError) -> HTTPResponse {
        let url = url(path: path, query: query)
        var headers = baseHeaders
        if body != nil { headers.add(name: "Content-Type", value: contentType) }
        let request = HTTPRequest(method: method, url: url, headers: headers, body: body)
        let response = try await transport.perform { (client, authorization) throws(HTTPClientError) in
            var request = request
            if let authorization { request.headers.add(name: "Authorization", value: authorization) }
            return try await client.execute(request)
        } status: { $0.status }
        guard (200..<300).contains(response.status) else {
            throw KubeError.from(method: method.rawValue, url: url, code: response.status,
                                 headers: response.headers, body: response.body)
        }
        return response
    }

    /// Sends a request and decodes its 2xx answer as `type`.
    func send<T: Decodable>(
        _ method: HTTPMethod, path: String, query: [(String, String)] = [], body: [UInt8]? = nil,
        contentType: String = "application/json", decoding type: T.Type
    ) async throws(KubeError) -> T {
        let response = try await send(method, path: path, query: query, body: body, contentType: contentType)
        return try JSONCoding.decode(T.self, from: response.body, method: method.rawValue,
                                     url: url(path: path, query: query), code: response.status)
    }

    /// Opens a streaming GET (a watch); an error status is read whole and thrown as its `KubeError`.
    ///
    /// - Parameter expectedDuration: how long the server was asked to keep the stream open; the transfer is
    ///   abandoned a little after that, so a silently dead connection cannot hold a watcher forever.
    func stream(path: String, query: [(String, String)], expectedDuration: Duration?) async throws(KubeError)
        -> (url: String, response: HTTPStreamingResponse)
    {
        let url = url(path: path, query: query)
        let timeouts = expectedDuration.map {
            HTTPTimeouts(connect: configuration.timeouts.connect, total: $0 + .seconds(30), idle: nil)
        }
        let request = HTTPRequest(method: .get, url: url, headers: baseHeaders, timeouts: timeouts)
        let response = try await transport.perform { (client, authorization) throws(HTTPClientError) in
            var request = request
            if let authorization { request.headers.add(name: "Authorization", value: authorization) }
            return try await client.stream(request)
        } status: { $0.status }
        guard response.status == 200 else {
            let body = (try? await response.body.collect(upTo: 1 << 20)) ?? []
            throw KubeError.from(method: "GET", url: url, code: response.status, headers: response.headers, body: body)
        }
        return (url, response)
    }

    private var baseHeaders: HTTPHeaders {
        ["Accept": "application/json", "User-Agent": configuration.userAgent]
    }
}

/// The HTTP clients behind a `KubeClient` and the credentials they send.
///
/// Static credentials live in one `HTTPClient`. An exec plugin may hand out a new client certificate when its
/// credential expires; TLS identity is fixed per `HTTPClient`, so the transport keeps one for the current identity
/// and replaces it when the identity changes. A 401 answer to a plugin credential discards it and retries once, as
/// the plugin may know better than its `expirationTimestamp` said.
private final class Transport: Sendable {
    private let configuration: KubeClientConfiguration
    private let base: HTTPClient
    private let current: Mutex<(identity: TLSConfiguration.ClientIdentity, client: HTTPClient)?>

    init(configuration: KubeClientConfiguration) throws(KubeError) {
        self.configuration = configuration
        let authorization: Authorization? = switch configuration.credentials {
        case .none, .exec: nil
        case .bearer(let token): .bearer(token)
        case .tokenFile(let path): .bearerTokenFile(path)
        }
        do {
            base = try HTTPClient(configuration: Self.httpConfiguration(configuration, tls: configuration.tls,
                                                                       authorization: authorization))
        } catch {
            throw .transport(error)
        }
        current = Mutex(nil)
    }

    private static func httpConfiguration(
        _ configuration: KubeClientConfiguration, tls: TLSConfiguration, authorization: Authorization?
    ) -> HTTPClient.Configuration {
        HTTPClient.Configuration(tls: tls, authorization: authorization, proxy: configuration.proxy,
                                 timeouts: configuration.timeouts)
    }

    func perform<Response>(
        _ body: (HTTPClient, _ authorization: String?) async throws(HTTPClientError) -> Response,
        status: (Response) -> Int
    ) async throws(KubeError) -> Response {
        guard case .exec(let plugin) = configuration.credentials else {
            do {
                return try await body(base, nil)
            } catch {
                throw .transport(error)
            }
        }
        var retried = false
        while true {
            let credential: ExecCredentialPlugin.Credential
            do {
                credential = try await plugin.credential()
            } catch {
                throw .credentials(error)
            }
            let client = try client(for: credential)
            let response: Response
            do {
                response = try await body(client, credential.token.map { "Bearer \($0)" })
            } catch {
                throw .transport(error)
            }
            guard status(response) == 401, !retried else { return response }
            retried = true
            await plugin.invalidate(credential)
        }
    }

    private func client(for credential: ExecCredentialPlugin.Credential) throws(KubeError) -> HTTPClient {
        guard let certificate = credential.clientCertificateData, let key = credential.clientKeyData else { return base }
        let identity = TLSConfiguration.ClientIdentity.pem(certificate: certificate, key: key)
        if let existing = current.withLock({ $0?.identity == identity ? $0?.client : nil }) { return existing }
        var tls = configuration.tls
        tls.clientIdentity = identity
        let client: HTTPClient
        do {
            client = try HTTPClient(configuration: Self.httpConfiguration(configuration, tls: tls, authorization: nil))
        } catch {
            throw .transport(error)
        }
        current.withLock { $0 = (identity, client) }
        return client
    }
}
