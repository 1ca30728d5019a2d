import HTTPClient

/// The verbs on one resource, optionally bound to a namespace: what `kubectl get/create/replace/patch/delete/get -w`
/// do, with typed answers and errors.
///
/// For namespaced resources, requests on one object use the object's own namespace when it has one, else the bound
/// namespace. A handle without a namespace lists and watches across all namespaces.
public struct ResourceClient<Object: APIObject>: Sendable {
    public let client: KubeClient
    public let resource: ResourceDescriptor
    /// The bound namespace; nil for all namespaces (or a cluster-scoped resource).
    public let namespace: String?

    public init(client: KubeClient, resource: ResourceDescriptor, namespace: String?) {
        self.client = client
        self.resource = resource
        self.namespace = resource.namespaced ? namespace.flatMap { $0.isEmpty ? nil : $0 } : nil
    }

    /// The same resource in another namespace.
    public func namespace(_ namespace: String?) -> ResourceClient {
        ResourceClient(client: client, resource: resource, namespace: namespace)
    }

    // MARK: Reading

    public func get(_ name: String) async throws(KubeError) -> Object {
        try await client.send(.get, path: try objectPath(name), decoding: Object.self)
    }

    /// One page of objects; follow `metadata.continue` for the rest, or use ``listAll(_:)``.
    public func list(_ options: ListOptions = ListOptions()) async throws(KubeError) -> ObjectList<Object> {
        try await client.send(.get, path: resource.collectionPath(namespace: namespace), query: options.query,
                              decoding: ObjectList<Object>.self)
    }

    /// Every object, fetched in pages of `options.limit`; the answer's `resourceVersion` is the first page's, from
    /// which a watch continues.
    public func listAll(_ options: ListOptions = ListOptions()) async throws(KubeError) -> ObjectList<Object> {
        var options = options
        var all = try await list(options)
        var token = all.metadata.continue
        while !token.isEmpty {
            options.continueToken = token
            options.resourceVersion = nil
            let page = try await list(options)
            all.items += page.items
            token = page.metadata.continue
        }
        all.metadata.continue = ""
        all.metadata.remainingItemCount = nil
        return all
    }

    // MARK: Writing

    /// Creates `object` (its `metadata.name`, or `generateName`); returns it as stored.
    public func create(_ object: Object) async throws(KubeError) -> Object {
        let path = resource.collectionPath(namespace: try namespace(of: object))
        let body = try JSONCoding.encode(object, what: describe(object))
        return try await client.send(.post, path: path, body: body, decoding: Object.self)
    }

    /// Replaces `object`. With a `metadata.resourceVersion` the server checks it is still current and answers
    /// `.conflict` otherwise; the status is ignored by resources with a status subresource.
    public func update(_ object: Object) async throws(KubeError) -> Object {
        try await put(object, subresource: nil)
    }

    /// Replaces the status of `object` (the status subresource: everything but `status` is ignored), with the same
    /// `resourceVersion` check as ``update(_:)``.
    public func updateStatus(_ object: Object) async throws(KubeError) -> Object {
        try await put(object, subresource: "status")
    }

    /// Applies `patch` to the object `name` (or to its `subresource`, such as `status`).
    public func patch(_ name: String, _ patch: Patch, subresource: String? = nil) async throws(KubeError) -> Object {
        let body = try JSONCoding.encode(patch.body, what: "patch of \(resource.kind) \"\(name)\"")
        return try await client.send(.patch, path: try objectPath(name, subresource: subresource), body: body,
                                     contentType: patch.contentType, decoding: Object.self)
    }

    /// Deletes the object `name`. Returns the object while finalizers, foreground deletion or a grace period keep it
    /// (it has a `deletionTimestamp`), nil when it is gone.
    @discardableResult
    public func delete(_ name: String, options: DeleteOptions = DeleteOptions()) async throws(KubeError) -> Object? {
        let path = try objectPath(name)
        let body = try options.body.map { (value) throws(KubeError) in try JSONCoding.encode(value, what: "DeleteOptions") }
        let response = try await client.send(.delete, path: path, body: body)
        let url = client.url(path: path)
        let answer = try JSONCoding.decode(JSONValue.self, from: response.body, method: "DELETE", url: url,
                                           code: response.status)
        // Servers answer a completed delete with a Status or with the object's last state (without a
        // deletionTimestamp); only an object marked for deletion is still there.
        if answer["kind"]?.stringValue == "Status" { return nil }
        let object = try JSONCoding.decode(Object.self, from: response.body, method: "DELETE", url: url,
                                           code: response.status)
        return object.metadata.isBeingDeleted ? object : nil
    }

    // MARK: Watching

    /// Opens a watch. The call returns once the server accepted it (an error status, such as 410 for a too-old
    /// `resourceVersion`, is thrown here); the events then arrive through the returned sequence.
    public func watch(_ options: WatchOptions = WatchOptions()) async throws(KubeError) -> WatchEvents<Object> {
        let (url, response) = try await client.stream(
            path: resource.collectionPath(namespace: namespace), query: options.query,
            expectedDuration: options.timeoutSeconds.map { .seconds($0) })
        return WatchEvents(url: url, body: response.body)
    }

    // MARK: Paths

    private func put(_ object: Object, subresource: String?) async throws(KubeError) -> Object {
        let path = try objectPath(object.metadata.name, subresource: subresource, namespace: try namespace(of: object))
        let body = try JSONCoding.encode(object, what: describe(object))
        return try await client.send(.put, path: path, body: body, decoding: Object.self)
    }

    private func namespace(of object: Object) throws(KubeError) -> String? {
        guard resource.namespaced else { return nil }
        if !object.metadata.namespace.isEmpty { return object.metadata.namespace }
        guard let namespace else {
            throw .invalidRequest("\(describe(object)): a namespace is needed (set metadata.namespace or bind one)")
        }
        return namespace
    }

    private func objectPath(
        _ name: String, subresource: String? = nil, namespace explicit: String? = nil
    ) throws(KubeError) -> String {
        guard !name.isEmpty, !name.contains("/"), name != ".", name != ".." else {
            throw .invalidRequest("\(resource.kind) name \"\(name)\" is not a valid object name")
        }
        let namespace = explicit ?? self.namespace
        if resource.namespaced, namespace == nil {
            throw .invalidRequest("\(resource.kind) \"\(name)\": a namespace is needed for a namespaced resource")
        }
        return resource.objectPath(name: name, namespace: namespace, subresource: subresource)
    }

    private func describe(_ object: Object) -> String {
        let name = object.metadata.name.isEmpty ? object.metadata.generateName + "*" : object.metadata.name
        return "\(resource.kind) \"\(name)\""
    }
}

/// A page of objects as a list request answers it.
public struct ObjectList<Object: APIObject>: Decodable, Sendable {
    public var metadata: ListMeta
    public var items: [Object]

    public init(metadata: ListMeta = ListMeta(), items: [Object] = []) {
        self.metadata = metadata
        self.items = items
    }

    enum CodingKeys: String, CodingKey {
        case metadata, items
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        metadata = try container.decodeIfPresent(ListMeta.self, forKey: .metadata) ?? ListMeta()
        items = try container.decodeIfPresent([Object].self, forKey: .items) ?? []
    }
}
