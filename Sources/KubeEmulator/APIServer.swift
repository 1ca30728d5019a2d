import Foundation
import Hummingbird
import Kube
import Logging

/// The HTTP face of the emulator: routes discovery and resource paths the way kube-apiserver lays them out, after
/// authentication, authorization and fault injection.
struct APIServer: HTTPResponder {
    typealias Context = BasicRequestContext

    let emulator: KubeEmulator

    func respond(to request: Request, context: BasicRequestContext) async throws -> Response {
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: 32 << 20)
        } catch {
            return Reply.error(APIError(code: 413, reason: StatusReason(rawValue: "RequestEntityTooLarge"),
                                        message: "the request body is too large"))
        }
        let path = request.uri.path
        var apiRequest = APIRequest(
            method: request.method, path: path,
            segments: path.split(separator: "/").map { $0.removingPercentEncoding ?? String($0) },
            query: APIRequest.parseQuery(request.uri.query),
            accept: request.headers[.accept] ?? "", contentType: request.headers[.contentType] ?? "",
            body: Array(buffer: body), user: .admin)
        do {
            apiRequest.user = try emulator.authenticate(request.headers[.authorization])
            let response = try await route(apiRequest)
            emulator.logger.debug("\(request.method) \(request.uri) → \(response.status.code)")
            return response
        } catch {
            emulator.logger.debug("\(request.method) \(request.uri) → \(error.status.code) \(error.status.message)")
            return Reply.error(error)
        }
    }

    private func route(_ request: APIRequest) async throws(APIError) -> Response {
        let segments = request.segments
        switch segments.first {
        case "version" where segments.count == 1:
            return Reply.json(Discovery.version(emulator.configuration.version))
        case "openapi" where segments.count >= 2 && segments[1] == "v3":
            let registry = emulator.store.registry
            if segments.count == 2 { return Reply.json(OpenAPI.index(registry)) }
            let isCore = segments.count == 4 && segments[2] == "api"
            let isGroup = segments.count == 5 && segments[2] == "apis"
            guard isCore || isGroup,
                  let document = OpenAPI.document(registry, group: isCore ? "" : segments[3], version: segments.last!)
            else { throw APIError.pathNotFound(request.path) }
            return Reply.json(document)
        case "healthz", "livez", "readyz":
            return Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "ok")))
        case "api":
            if segments.count == 1 { return Reply.json(Discovery.coreVersions(serverAddress: emulator.serverAddress)) }
            guard segments[1] == "v1" else { throw APIError.pathNotFound(request.path) }
            if segments.count == 2 {
                return Reply.json(Discovery.resourceList(emulator.store.registry, group: "", version: "v1"))
            }
            return try await resource(request, group: "", version: "v1", rest: Array(segments.dropFirst(2)))
        case "apis":
            let registry = emulator.store.registry
            switch segments.count {
            case 1:
                return Reply.json(Discovery.groupList(registry))
            case 2:
                guard let group = registry.groups.first(where: { $0.name == segments[1] }) else {
                    throw APIError.pathNotFound(request.path)
                }
                return Reply.json(Discovery.group(name: group.name, versions: group.versions))
            case 3:
                guard registry.serves(group: segments[1], version: segments[2]) else { throw APIError.pathNotFound(request.path) }
                return Reply.json(Discovery.resourceList(registry, group: segments[1], version: segments[2]))
            default:
                return try await resource(request, group: segments[1], version: segments[2], rest: Array(segments.dropFirst(3)))
            }
        default:
            throw APIError.pathNotFound(request.path)
        }
    }

    /// `[namespaces/NS/]PLURAL[/NAME[/SUBRESOURCE]]` under a group-version.
    private func resource(_ request: APIRequest, group: String, version: String, rest: [String]) async throws(APIError)
        -> Response
    {
        let registry = emulator.store.registry
        var namespace: String?
        var rest = rest
        let namespaceItself = group.isEmpty && rest.first == "namespaces" && rest.count <= 3
            && (rest.count < 3 || ["status", "finalize"].contains(rest[2]))
        if rest.first == "namespaces", rest.count >= 3, !namespaceItself {
            namespace = rest[1]
            rest.removeFirst(2)
        }
        guard let plural = rest.first, rest.count <= 3,
              let type = registry.resource(group: group, version: version, plural: plural)
        else { throw APIError.pathNotFound(request.path) }
        if namespace != nil, !type.namespaced { throw APIError.pathNotFound(request.path) }
        let name = rest.count > 1 ? rest[1] : nil
        var subresource: Subresource?
        if rest.count == 3 {
            if rest[2] == "status", type.hasStatusSubresource {
                subresource = .status
            } else if rest[2] == "finalize", type.key == ResourceType.namespaceKey {
                subresource = .finalize
            } else if rest[2] == "token", type.key == ResourceType.serviceAccountKey, request.method == .post {
                subresource = .token
            } else {
                throw APIError.pathNotFound(request.path)
            }
        }
        if type.namespaced, name != nil, namespace == nil { throw APIError.pathNotFound(request.path) }
        if type.namespaced, name == nil, namespace == nil, request.method == .post { throw APIError.pathNotFound(request.path) }
        let target = ResourceTarget(type: type, version: version, namespace: namespace, name: name, subresource: subresource)
        try emulator.authorize(request, target)
        try await emulator.injectFaults(request)
        let handler = ResourceHandler(emulator: emulator, request: request, target: target)
        switch (request.method, name) {
        case (.get, nil):
            return request.flag("watch") ? try handler.watch() : try handler.list()
        case (.get, _?): return try handler.get()
        case (.post, nil): return try handler.create()
        case (.post, _?) where subresource == .token: return try handler.createToken()
        case (.put, _?): return try handler.update()
        case (.patch, _?): return try handler.patch()
        case (.delete, _?): return try handler.delete()
        case (.delete, nil): return try handler.deleteCollection()
        default:
            throw APIError.methodNotAllowed("the server does not allow this method on the requested resource")
        }
    }
}

/// What a resource request addresses.
struct ResourceTarget: Sendable {
    var type: ResourceType
    var version: String
    var namespace: String?
    var name: String?
    var subresource: Subresource?

    var key: ObjectKey { ObjectKey(namespace: type.namespaced ? (namespace ?? "") : "", name: name ?? "") }

    /// The verb RBAC checks.
    func verb(_ request: APIRequest) -> String {
        switch (request.method, name) {
        case (.get, nil): request.flag("watch") ? "watch" : "list"
        case (.get, _): "get"
        case (.post, _): "create"
        case (.put, _): "update"
        case (.patch, _): "patch"
        case (.delete, nil): "deletecollection"
        case (.delete, _): "delete"
        default: request.method.rawValue.lowercased()
        }
    }
}
