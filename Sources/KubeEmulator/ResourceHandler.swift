import Foundation
import Hummingbird
import Kube

/// Serves the verbs on one resource path.
struct ResourceHandler: Sendable {
    let emulator: KubeEmulator
    let request: APIRequest
    let target: ResourceTarget

    private var type: ResourceType { target.type }
    private var store: ClusterStore { emulator.store }

    /// An object as the requested version shows it (objects are stored once, in the storage version).
    func present(_ object: JSONValue) -> JSONValue {
        var object = object
        object[path: ["apiVersion"]] = .string(type.apiVersion(target.version))
        return object
    }

    private var wantsTable: Bool { request.accept.contains("as=Table") }

    private func answer(_ object: JSONValue, status: Int = 200, warnings: [String] = []) -> Response {
        let shown = present(object)
        let headers = warnings.map { ("Warning", "299 - \"\($0.replacingOccurrences(of: "\"", with: "\\\""))\"") }
        guard wantsTable else { return Reply.json(shown, status: status, headers: headers) }
        let converter = TableConverter(resource: type, version: target.version)
        return Reply.json(converter.table([shown], version: target.version, apiVersion: type.apiVersion(target.version),
                                          includeObject: request.query["includeObject"] ?? "Metadata",
                                          listMeta: ["resourceVersion": .string(object.resourceVersion)]),
                          status: status, headers: headers)
    }

    private func filter() throws(APIError) -> WatchFilter {
        WatchFilter(
            resource: type.key, namespace: type.namespaced ? target.namespace : nil,
            labels: try request.query["labelSelector"].map { (text) throws(APIError) in try LabelSelector(parsing: text) } ?? .everything,
            fields: try request.query["fieldSelector"].map { (text) throws(APIError) in try FieldSelector(parsing: text, for: type) } ?? .everything)
    }

    // MARK: Reads

    func get() throws(APIError) -> Response {
        let key = target.key
        let object = try store.perform { (state: inout StoreState) throws(APIError) in try state.get(type, key: key) }
        return answer(object)
    }

    func list() throws(APIError) -> Response {
        let filter = try filter()
        var limit: Int?
        if let text = request.query["limit"], !text.isEmpty {
            guard let value = Int(text), value >= 0 else { throw APIError.badRequest("limit must be a non-negative integer: \(text)") }
            limit = value
        }
        let token = request.query["continue"]
        let page = try store.perform { (state: inout StoreState) throws(APIError) in
            try state.list(type, filter: filter, limit: limit, continueToken: token)
        }
        var meta: [String: JSONValue] = ["resourceVersion": .string(String(page.revision))]
        if !page.continueToken.isEmpty { meta["continue"] = .string(page.continueToken) }
        if let remaining = page.remaining { meta["remainingItemCount"] = .integer(remaining) }
        let items = page.items.map(present)
        if wantsTable {
            let converter = TableConverter(resource: type, version: target.version)
            return Reply.json(converter.table(items, version: target.version, apiVersion: type.apiVersion(target.version),
                                              includeObject: request.query["includeObject"] ?? "Metadata",
                                              listMeta: .object(meta)))
        }
        return Reply.json([
            "kind": .string(type.kind + "List"), "apiVersion": .string(type.apiVersion(target.version)),
            "metadata": .object(meta), "items": .array(items),
        ])
    }

    func watch() throws(APIError) -> Response {
        let filter = try filter()
        let bookmarks = request.flag("allowWatchBookmarks")
        let version = request.query["resourceVersion"] ?? ""
        let start: WatchStart
        if request.query["sendInitialEvents"] == "true" {
            start = .currentState(endBookmark: bookmarks)
        } else if version.isEmpty || version == "0" {
            start = .currentState(endBookmark: false)
        } else if let revision = Int64(version) {
            start = .after(revision)
        } else {
            throw APIError.badRequest("invalid resource version: \(version)")
        }
        var timeout = emulator.configuration.maximumWatchTimeout
        if let text = request.query["timeoutSeconds"], let seconds = Int64(text), seconds > 0 {
            timeout = min(timeout, .seconds(seconds))
        }
        return WatchStream(emulator: emulator, handler: self, filter: filter, start: start, bookmarks: bookmarks,
                           timeout: timeout, table: wantsTable ? TableConverter(resource: type, version: target.version) : nil)
            .response()
    }

    // MARK: Writes

    func create() throws(APIError) -> Response {
        let body = try request.jsonBody()
        let warnings = try FieldValidation(query: request.query["fieldValidation"])
            .check(body, resource: type, version: target.version)
        let namespace = target.namespace
        let dryRun = request.isDryRun
        let created = try store.perform { (state: inout StoreState) throws(APIError) in
            try state.create(type, namespace: namespace, body: body, dryRun: dryRun)
        }
        return answer(created, status: 201, warnings: warnings)
    }

    func update() throws(APIError) -> Response {
        let body = try request.jsonBody()
        let warnings = try FieldValidation(query: request.query["fieldValidation"])
            .check(body, resource: type, version: target.version)
        let key = target.key
        let subresource = target.subresource
        let dryRun = request.isDryRun
        let updated = try store.perform { (state: inout StoreState) throws(APIError) in
            try state.update(type, key: key, body: body, subresource: subresource, dryRun: dryRun)
        }
        return answer(updated, warnings: warnings)
    }

    func patch() throws(APIError) -> Response {
        let mediaType = request.contentType.split(separator: ";").first.map { String($0).trimmingSpaces.lowercased() } ?? ""
        if mediaType == "application/apply-patch+yaml" { return try serverSideApply() }
        let patch = try request.jsonBody()
        let apply: @Sendable (JSONValue) throws(APIError) -> JSONValue
        switch mediaType {
        case "application/merge-patch+json":
            apply = { current in MergePatch.apply(patch, to: current) }
        case "application/json-patch+json":
            apply = { current throws(APIError) in try JSONPatch.apply(patch, to: current) }
        case "application/strategic-merge-patch+json" where !type.isCustom:
            apply = { current throws(APIError) in try StrategicMergePatch.apply(patch, to: current) }
        default:
            throw APIError.unsupportedMediaType(request.contentType)
        }
        let key = target.key
        let subresource = target.subresource
        let dryRun = request.isDryRun
        let resourceType = type
        let version = target.version
        let validation = try FieldValidation(query: request.query["fieldValidation"])
        let (updated, warnings) = try store.perform { (state: inout StoreState) throws(APIError) in
            let current = try state.get(resourceType, key: key)
            var shown = current
            shown[path: ["apiVersion"]] = .string(resourceType.apiVersion(version))
            var patched = try apply(shown)
            guard case .object = patched else { throw APIError.badRequest("the patch does not leave an object") }
            let warnings = try validation.check(patched, resource: resourceType, version: version)
            if patched.resourceVersion.isEmpty { patched.setMeta("resourceVersion", current.resourceVersion) }
            return (try state.update(resourceType, key: key, body: patched, subresource: subresource, dryRun: dryRun), warnings)
        }
        return answer(updated, warnings: warnings)
    }

    /// Server-side apply, simplified: the applied configuration creates the object or is merged into it (maps
    /// member by member, lists with a merge key element by element, other lists replaced), under one lock. Field
    /// ownership is not tracked: there are no apply conflicts (`force` is moot), `managedFields` is not written,
    /// and members dropped from a later applied configuration stay.
    private func serverSideApply() throws(APIError) -> Response {
        guard let manager = request.query["fieldManager"], !manager.isEmpty else {
            throw APIError.invalid(type, target.name ?? "", [.required("fieldManager", "is required for apply patch")])
        }
        let applied = try request.yamlOrJSONBody()
        let warnings = try FieldValidation(query: request.query["fieldValidation"])
            .check(applied, resource: type, version: target.version)
        let key = target.key
        let subresource = target.subresource
        let dryRun = request.isDryRun
        let resourceType = type
        let namespace = target.namespace
        let (object, created) = try store.perform { (state: inout StoreState) throws(APIError) in
            guard let current = try? state.get(resourceType, key: key) else {
                guard subresource == nil else { throw APIError.notFound(resourceType, key.name) }
                var body = applied
                if body.name.isEmpty { body.setMeta("name", key.name) }
                guard body.name == key.name else {
                    throw APIError.badRequest("the name of the object (\(body.name)) does not match the name on the URL (\(key.name))")
                }
                return (try state.create(resourceType, namespace: namespace, body: body, dryRun: dryRun), true)
            }
            var merged = resourceType.isCustom ? MergePatch.apply(applied, to: current)
                : try StrategicMergePatch.apply(applied, to: current)
            if applied.resourceVersion.isEmpty { merged.setMeta("resourceVersion", current.resourceVersion) }
            return (try state.update(resourceType, key: key, body: merged, subresource: subresource, dryRun: dryRun), false)
        }
        return answer(object, status: created ? 201 : 200, warnings: warnings)
    }

    /// A TokenRequest for a service account: a new bearer token that authenticates as it (with `.bearerTokens`
    /// authentication; RBAC then grants what its bindings say). Audiences are echoed, expiry is not enforced.
    func createToken() throws(APIError) -> Response {
        let request = self.request.body.isEmpty ? JSONValue.object([:]) : try self.request.jsonBody()
        let key = target.key
        let resourceType = type
        let account = try store.perform { (state: inout StoreState) throws(APIError) in try state.get(resourceType, key: key) }
        let token = emulator.serviceAccountToken(namespace: key.namespace, name: key.name)
        let seconds = request["spec"]?["expirationSeconds"]?.integerValue ?? 3600
        let expiry = Timestamp(secondsSince1970: Timestamp.now().secondsSince1970 + seconds)
        return Reply.json([
            "kind": "TokenRequest", "apiVersion": "authentication.k8s.io/v1",
            "metadata": ["name": .string(key.name), "namespace": .string(key.namespace),
                         "creationTimestamp": .string(Timestamp.now().description)],
            "spec": [
                "audiences": request["spec"]?["audiences"] ?? ["https://kubernetes.default.svc"],
                "expirationSeconds": .integer(seconds),
                "boundObjectRef": request["spec"]?["boundObjectRef"] ?? .null,
            ],
            "status": ["token": .string(token), "expirationTimestamp": .string(expiry.description)],
        ], status: 201, headers: [("X-Service-Account-UID", account.uid)])
    }

    /// `DeleteOptions` from the body (or the query, as kubectl sometimes sends them).
    private func deleteOptions() throws(APIError) -> (PropagationPolicy?, DeletePreconditions) {
        var options: JSONValue = .object([:])
        if !request.body.isEmpty { options = try request.jsonBody() }
        var policyText = options["propagationPolicy"]?.stringValue ?? request.query["propagationPolicy"]
        if policyText == nil, let orphan = options["orphanDependents"]?.boolValue ?? request.query["orphanDependents"].map({ $0 == "true" }) {
            policyText = orphan ? "Orphan" : "Background"
        }
        var policy: PropagationPolicy?
        if let policyText, !policyText.isEmpty {
            guard let parsed = PropagationPolicy(rawValue: policyText) else {
                throw APIError.invalid(type, target.name ?? "", [
                    .notSupported("propagationPolicy", .string(policyText), supported: ["Background", "Foreground", "Orphan"]),
                ])
            }
            policy = parsed
        }
        let preconditions = DeletePreconditions(uid: options["preconditions"]?["uid"]?.stringValue,
                                                resourceVersion: options["preconditions"]?["resourceVersion"]?.stringValue)
        return (policy, preconditions)
    }

    func delete() throws(APIError) -> Response {
        let (policy, preconditions) = try deleteOptions()
        let key = target.key
        let dryRun = request.isDryRun
        let resourceType = type
        let outcome = try store.perform { (state: inout StoreState) throws(APIError) in
            try state.delete(resourceType, key: key, policy: policy, preconditions: preconditions, dryRun: dryRun)
        }
        return answer(outcome.object)
    }

    func deleteCollection() throws(APIError) -> Response {
        let (policy, _) = try deleteOptions()
        let filter = try filter()
        let dryRun = request.isDryRun
        let resourceType = type
        let deleted = try store.perform { (state: inout StoreState) throws(APIError) in
            let page = try state.list(resourceType, filter: filter, limit: nil, continueToken: nil)
            var deleted: [JSONValue] = []
            for item in page.items {
                let key = ObjectKey(namespace: item.namespace, name: item.name)
                if let outcome = try? state.delete(resourceType, key: key, policy: policy,
                                                   preconditions: DeletePreconditions(), dryRun: dryRun)
                {
                    deleted.append(outcome.object)
                }
            }
            return deleted
        }
        return Reply.json([
            "kind": .string(type.kind + "List"), "apiVersion": .string(type.apiVersion(target.version)),
            "metadata": ["resourceVersion": .string(String(store.revision))], "items": .array(deleted.map(present)),
        ])
    }
}
