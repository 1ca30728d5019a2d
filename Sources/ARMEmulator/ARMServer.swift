import Foundation
import Hummingbird

/// The HTTP face of the ARM emulator: authentication, fault injection, api-version checks, then the resource
/// operations on the fabric state, each request logged.
struct ARMServer: HTTPResponder {
    typealias Context = PeerRequestContext

    let emulator: ARMEmulator

    /// What one request asks for, decoded from HTTP.
    struct Call {
        var method: String
        var path: String
        var query: [String: String]
        var headers: HTTPFields
        var body: [UInt8]
        /// `scheme://host:port` as the client addressed the server, for operation and next-page links.
        var base: String
        var faults: [ARMEmulator.Fault]

        var apiVersion: String? { query["api-version"] }
        func header(_ name: String) -> String? { HTTPFields.Element.Name(name).flatMap { headers[$0] } }
    }

    func respond(to request: Request, context: PeerRequestContext) async throws -> Response {
        var request = request
        let body = (try? await request.collectBody(upTo: 16 << 20)).map { Array(buffer: $0) } ?? []
        let method = request.method.rawValue
        let path = request.uri.path
        let segments = path.split(separator: "/").map { $0.removingPercentEncoding ?? String($0) }
        let target = ARMPath(segments: segments)
        var kind: ResourceKind?
        switch target {
        case .resource(let id): kind = id.kind
        case .collection(_, _, let collectionKind, _): kind = collectionKind
        default: break
        }
        let host = request.head.authority ?? "127.0.0.1"
        let call = Call(method: method, path: path, query: Self.parseQuery(request.uri.query), headers: request.headers,
                        body: body, base: "\(emulator.configuration.scheme)://\(host)", faults: emulator.faults(for: method, path: path))
        emulator.state.withLock { $0.finishExpiredOperations() }
        let answer: Answer
        do {
            try authenticate(call)
            for fault in call.faults {
                switch fault {
                case .delay(let duration): try? await Task.sleep(for: duration)
                case .dropConnection:
                    context.closeConnection()
                    emulator.record(.init(method: method, path: path, status: 0, kind: kind))
                    return Response(status: .internalServerError)
                case .throttle(let seconds): throw ARMError.throttled(retryAfter: seconds)
                case .internalError: throw ARMError.internalServerError
                case .unavailable(let seconds): throw ARMError.serviceUnavailable(retryAfter: seconds)
                case .error(let status, let code, let message): throw ARMError(status: status, code: code, message: message)
                case .foreignAnswer(let status, let contentType, let text):
                    emulator.record(.init(method: method, path: path, status: status, kind: kind))
                    return Answer(status: status, raw: (contentType, Array(text.utf8))).response
                case .failOperation, .truncateBody: break
                }
            }
            guard let target else {
                throw segments.first?.lowercased() == "subscriptions" ? ARMError.invalidResourceType(path)
                    : ARMError(status: 404, code: "NotFound", message: "No route for \(path).")
            }
            answer = try handle(call, target)
        } catch let error as ARMError {
            answer = Answer(error)
        }
        var response = call.faults.contains(.truncateBody) ? answer.truncated() : answer
        response.headers["x-ms-request-id"] = UUID().uuidString.lowercased()
        emulator.record(.init(method: method, path: path, status: answer.status, kind: kind,
                              body: body.isEmpty ? nil : ARMValue(json: body), ifMatch: call.header("If-Match")))
        return response.response
    }

    private func authenticate(_ call: Call) throws(ARMError) {
        guard let authority = emulator.configuration.tokenAuthority else { return }
        let header = call.header("Authorization")
        var token: String?
        if let header, header.lowercased().hasPrefix("bearer ") { token = String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces) }
        let challenge = "Bearer authorization_uri=\"https://login.microsoftonline.com/common\", error=\"invalid_token\""
        switch authority.validate(token, audiences: emulator.configuration.tokenAudiences) {
        case .success: return
        case .failure(.missing):
            throw ARMError(status: 401, code: "AuthenticationFailed",
                           message: "Authentication failed. The 'Authorization' header is missing.",
                           headers: ["WWW-Authenticate": challenge])
        case .failure(.expired(let date)):
            throw ARMError(status: 401, code: "ExpiredAuthenticationToken",
                           message: "The access token expiry UTC time '\(date)' is earlier than current UTC time '\(Date())'.",
                           headers: ["WWW-Authenticate": challenge])
        case .failure(.wrongAudience(let audience)):
            throw ARMError(status: 401, code: "InvalidAuthenticationTokenAudience",
                           message: "The access token has been obtained for wrong audience or resource '\(audience)'.",
                           headers: ["WWW-Authenticate": challenge])
        case .failure(.unknown):
            throw ARMError(status: 401, code: "InvalidAuthenticationToken",
                           message: "The access token is invalid.", headers: ["WWW-Authenticate": challenge])
        }
    }

    private func handle(_ call: Call, _ target: ARMPath) throws(ARMError) -> Answer {
        guard let version = call.apiVersion, !version.isEmpty else { throw .missingAPIVersion }
        switch target {
        case .resourceGroup(let subscription, let name):
            guard call.method == "GET" else { throw .methodNotAllowed(call.method, call.path) }
            let supported = emulator.configuration.resourceGroupAPIVersions
            guard supported.contains(version) else {
                throw ARMError(status: 400, code: "InvalidApiVersionParameter",
                               message: "The api-version '\(version)' is invalid. The supported versions are '\(supported.sorted().joined(separator: ","))'.")
            }
            let group = try emulator.state.withLock { state throws(ARMError) in try state.resourceGroup(subscription: subscription, name: name) }
            return Answer(status: 200, body: [
                "id": .string("/subscriptions/\(subscription)/resourceGroups/\(group.name)"), "name": .string(group.name),
                "location": .string(group.location), "type": "Microsoft.Resources/resourceGroups",
                "properties": ["provisioningState": "Succeeded"],
            ])
        case .operation(_, let id, let isResult):
            guard call.method == "GET" else { throw .methodNotAllowed(call.method, call.path) }
            return try pollAnswer(call, operationID: id, isResult: isResult)
        case .collection(let subscription, let group, let kind, let parentNames):
            try checkVersion(version, kind)
            guard call.method == "GET" else { throw .methodNotAllowed(call.method, call.path) }
            let items = try emulator.state.withLock { state throws(ARMError) in
                try state.list(subscription: subscription, resourceGroup: group, kind: kind, parentNames: parentNames)
            }
            return try page(items, call)
        case .resource(let id):
            try checkVersion(version, id.kind)
            switch call.method {
            case "GET":
                let stored = try emulator.state.withLock { state throws(ARMError) in (try state.stored(id), try state.read(id)) }
                return Answer(status: 200, headers: ["ETag": stored.0.etag], body: stored.1)
            case "PUT", "PATCH": return try write(call, id)
            case "DELETE": return try delete(call, id)
            default: throw .methodNotAllowed(call.method, call.path)
            }
        }
    }

    private func checkVersion(_ version: String, _ kind: ResourceKind) throws(ARMError) {
        let supported = emulator.configuration.apiVersions[kind] ?? []
        guard supported.contains(version) else { throw .unsupportedAPIVersion(version, kind: kind, supported: supported.sorted()) }
    }

    private func write(_ call: Call, _ id: ResourceID) throws(ARMError) -> Answer {
        guard id.kind.isWritable else { throw .methodNotAllowed(call.method, call.path) }
        guard let body = ARMValue(json: call.body), body.objectValue != nil else { throw .unparsableBody }
        let polls = emulator.configuration.operationPolls
        let failure = call.faults.contains(.failOperation) ? ARMError.operationFailed(id) : nil
        let isPatch = call.method == "PATCH"
        let (stored, created, operation) = try emulator.state.withLock { state throws(ARMError) in
            try state.atomically { state throws(ARMError) in
                var patch = body
                if isPatch {
                    guard state.resources[id.key] != nil else { throw ARMError.notFound(id) }
                    // Network's PATCH is UpdateTags; Compute's merges whatever it is given.
                    if !id.kind.putMerges { patch = ["tags": body["tags"] ?? [:]] }
                }
                let result = try state.put(id, body: patch, merge: isPatch || id.kind.putMerges,
                                           ifMatch: call.header("If-Match"), ifNoneMatch: call.header("If-None-Match"))
                let key = state.canonical(id)
                var operation: PendingOperation?
                if polls > 0 || failure != nil {
                    operation = state.beginOperation(on: key, isDelete: false, created: result.created, polls: polls, failure: failure,
                                                           lifetime: emulator.configuration.operationLifetime)
                }
                let stored = state.resources[key.key]!
                return (StoredResource(id: stored.id, body: state.decorate(stored), sequence: stored.sequence), result.created, operation)
            }
        }
        var headers = ["ETag": stored.etag]
        if let operation, emulator.configuration.operationStyle == .location {
            return Answer(status: 202, headers: [
                "Location": operationURL(call, operation, location: stored.body["location"]?.stringValue, result: true),
                "Retry-After": String(emulator.configuration.pollRetryAfterSeconds),
            ])
        }
        if let operation {
            headers["Azure-AsyncOperation"] = operationURL(call, operation, location: stored.body["location"]?.stringValue, result: false)
            headers["Retry-After"] = String(emulator.configuration.pollRetryAfterSeconds)
        }
        return Answer(status: created ? 201 : 200, headers: headers, body: stored.body)
    }

    private func delete(_ call: Call, _ id: ResourceID) throws(ARMError) -> Answer {
        let polls = emulator.configuration.operationPolls
        let failure = call.faults.contains(.failOperation) ? ARMError.operationFailed(id) : nil
        let outcome = try emulator.state.withLock { state throws(ARMError) -> (PendingOperation?, String?)? in
            guard let existing = try state.checkDelete(id, ifMatch: call.header("If-Match")) else { return nil }
            guard polls > 0 || failure != nil else {
                state.remove(existing.id)
                return (nil, nil)
            }
            let operation = state.beginOperation(on: existing.id, isDelete: true, created: false, polls: polls, failure: failure,
                                                           lifetime: emulator.configuration.operationLifetime)
            return (operation, existing.body["location"]?.stringValue)
        }
        guard let outcome else { return Answer(status: 204) }
        guard let operation = outcome.0 else { return Answer(status: 200) }
        var headers = [
            "Location": operationURL(call, operation, location: outcome.1, result: true),
            "Retry-After": String(emulator.configuration.pollRetryAfterSeconds),
        ]
        if emulator.configuration.operationStyle == .asyncOperation {
            headers["Azure-AsyncOperation"] = operationURL(call, operation, location: outcome.1, result: false)
        }
        return Answer(status: 202, headers: headers)
    }

    private func operationURL(_ call: Call, _ operation: PendingOperation, location: String?, result: Bool) -> String {
        let target = operation.target
        return "\(call.base)/subscriptions/\(target.subscription)/providers/\(target.kind.namespace)/locations/"
            + "\(location ?? "global")/\(result ? "operationResults" : "operations")/\(operation.id)"
            + "?api-version=\(call.apiVersion ?? "")"
    }

    private func pollAnswer(_ call: Call, operationID: String, isResult: Bool) throws(ARMError) -> Answer {
        let (operation, resource) = try emulator.state.withLock { state throws(ARMError) in
            let operation = try state.poll(operationID)
            return (operation, try? state.read(operation.target))
        }
        let retryAfter = String(emulator.configuration.pollRetryAfterSeconds)
        if !isResult {
            var body: ARMValue = ["id": .string(call.path), "name": .string(operation.id), "status": .string(operation.status)]
            if let failure = operation.failure, operation.status == "Failed" { body["error"] = failure.errorObject }
            return Answer(status: 200, headers: operation.status == "InProgress" ? ["Retry-After": retryAfter] : [:], body: body)
        }
        switch operation.status {
        case "InProgress":
            return Answer(status: 202, headers: ["Location": call.base + call.path + "?api-version=\(call.apiVersion ?? "")",
                                                 "Retry-After": retryAfter])
        case "Failed": return Answer(operation.failure ?? .internalServerError)
        default: return operation.isDelete ? Answer(status: 204) : Answer(status: 200, body: resource)
        }
    }

    /// One page of a list, with `nextLink` when more follow.
    private func page(_ items: [ARMValue], _ call: Call) throws(ARMError) -> Answer {
        var offset = 0
        if let token = call.query["$skiptoken"] {
            guard let value = Int(token), value >= 0 else { throw .invalidParameter("The $skiptoken '\(token)' is not valid.") }
            offset = value
        }
        let size = max(1, emulator.configuration.pageSize)
        let end = min(items.count, offset + size)
        var body: ARMValue = ["value": .array(offset < end ? Array(items[offset..<end]) : [])]
        if end < items.count {
            body["nextLink"] = .string("\(call.base)\(call.path)?api-version=\(call.apiVersion ?? "")&$skiptoken=\(end)")
        }
        return Answer(status: 200, body: body)
    }

    static func parseQuery(_ query: String?) -> [String: String] {
        var result: [String: String] = [:]
        for pair in (query ?? "").split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? String($0) }
            result[parts[0].lowercased() == "api-version" ? "api-version" : parts[0]] = parts.count > 1 ? parts[1] : ""
        }
        return result
    }
}

extension ARMError {
    /// The terminal error of an operation that fault injection made fail.
    static func operationFailed(_ id: ResourceID) -> ARMError {
        var error = ARMError(status: 500, code: "InternalServerError",
                             message: "The long-running operation on \(id) failed in the emulated fabric.")
        error.details = [ARMError(status: 500, code: "InjectedFault", message: "Fault injection failed this operation.")]
        return error
    }
}
