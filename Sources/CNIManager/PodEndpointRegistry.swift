import EgressGatewayAPI
import Kube
import Logging
import Netlink
import WireGuard

/// The Kubernetes half of the cni-manager (upstream-cni §3.3): reads pods and their
/// StaticGatewayConfigurations and keeps one PodEndpoint per attached pod, named after the pod,
/// controller-owned by it, and stamped with the sandbox that made it.
///
/// The sandbox stamp is what makes removal safe: a DEL removes the PodEndpoint only when it still
/// belongs to that DEL's sandbox, so a late DEL of a pod's old sandbox cannot take away the tunnel
/// of its new one (upstream deletes by name alone).
public struct PodEndpointRegistry: Sendable {
    /// The PodEndpoint annotation holding the `CNI_CONTAINERID` of the sandbox that registered it.
    public static let sandboxAnnotation = "egressgateway.kubernetes.azure.com/cni-sandbox"

    let pods: ResourceClient<Pod>
    let gateways: ResourceClient<StaticGatewayConfiguration>
    let endpoints: ResourceClient<PodEndpoint>
    /// This node: GC only considers pods scheduled here.
    let nodeName: String
    let metrics: ManagerMetrics
    let logger: Logger

    public init(client: KubeClient, nodeName: String, metrics: ManagerMetrics = ManagerMetrics(), logger: Logger) {
        pods = client.resource(Pod.self)
        gateways = client.resource(StaticGatewayConfiguration.self)
        endpoints = client.resource(PodEndpoint.self)
        self.nodeName = nodeName
        self.metrics = metrics
        self.logger = logger
    }

    /// Every annotation of the pod.
    public func annotations(of pod: ManagerAPI.Pod) async throws(ManagerError) -> [String: String] {
        try Self.validate(pod)
        return try await read(pod).metadata.annotations
    }

    /// Records the pod's key and address for its gateway and says how to reach the gateway.
    public func register(_ request: ManagerAPI.NicAddRequest) async throws(ManagerError) -> ManagerAPI.NicAddResponse {
        let validated = try ValidNicAdd(request)
        let pod = request.pod
        let gateway: StaticGatewayConfiguration
        do {
            gateway = try await gateways.namespace(pod.namespace).get(request.gatewayName)
        } catch {
            if error.isNotFound { throw .notFound(kind: "StaticGatewayConfiguration", name: "\(pod.namespace)/\(request.gatewayName)") }
            throw .kubernetes(operation: "get StaticGatewayConfiguration \(pod.namespace)/\(request.gatewayName)", error)
        }
        let response = try Self.assignment(of: gateway)
        let owner = try await read(pod)
        do {
            try await apply(desired: validated.podEndpoint(owner: owner), pod: pod)
        } catch {
            metrics.podEndpointFailure(namespace: pod.namespace, pod: pod.name, operation: "create_or_update")
            throw error
        }
        return response
    }

    /// Removes the pod's PodEndpoint if `containerID` made it. Returns whether one was removed.
    public func unregister(_ request: ManagerAPI.NicDelRequest) async throws(ManagerError) -> Bool {
        try Self.validate(request.pod)
        guard !request.containerID.isEmpty else {
            throw .invalidField(field: "containerID", value: "", reason: "must name the sandbox whose registration goes")
        }
        let pod = request.pod
        let existing: PodEndpoint
        do {
            existing = try await endpoints.namespace(pod.namespace).get(pod.name)
        } catch {
            if error.isNotFound { return false }
            metrics.podEndpointFailure(namespace: pod.namespace, pod: pod.name, operation: "delete")
            throw .kubernetes(operation: "get PodEndpoint \(pod.namespace)/\(pod.name)", error)
        }
        let owner = existing.metadata.annotations[Self.sandboxAnnotation]
        // An object without the stamp was written by the Go manager for the same pod: it is
        // this pod's only registration, as upstream would delete it.
        guard owner == nil || owner == request.containerID else {
            logger.info("nic del: PodEndpoint belongs to another sandbox, kept",
                        metadata: ["pod": "\(pod.namespace)/\(pod.name)", "sandbox": "\(request.containerID)",
                                   "owner": "\(owner ?? "")"])
            return false
        }
        return try await delete(existing)
    }

    /// Deletes the PodEndpoints of pods on this node whose sandbox is not among `validContainerIDs`.
    public func collectGarbage(validContainerIDs: Set<String>) async throws(ManagerError) -> [String] {
        let onNode: ObjectList<Pod>
        let stamped: ObjectList<PodEndpoint>
        do {
            onNode = try await pods.listAll(ListOptions(fieldSelector: "spec.nodeName=\(nodeName)"))
            stamped = try await endpoints.listAll()
        } catch {
            throw .kubernetes(operation: "list pods of node \(nodeName) and PodEndpoints", error)
        }
        let podUIDs = Set(onNode.items.map(\.metadata.uid))
        var removed: [String] = []
        for endpoint in stamped.items {
            guard let sandbox = endpoint.metadata.annotations[Self.sandboxAnnotation], !validContainerIDs.contains(sandbox),
                  endpoint.metadata.ownerReferences.contains(where: { $0.controller == true && podUIDs.contains($0.uid) })
            else { continue }
            if try await delete(endpoint) { removed.append("\(endpoint.metadata.namespace)/\(endpoint.metadata.name)") }
        }
        return removed
    }

    // MARK: Steps

    private func read(_ pod: ManagerAPI.Pod) async throws(ManagerError) -> Pod {
        do {
            return try await pods.namespace(pod.namespace).get(pod.name)
        } catch {
            if error.isNotFound { throw .notFound(kind: "pod", name: "\(pod.namespace)/\(pod.name)") }
            throw .kubernetes(operation: "get pod \(pod.namespace)/\(pod.name)", error)
        }
    }

    /// Create-or-update: no write when the stored object already is `desired`; a conflict (the
    /// object changed under us) is read again and retried.
    private func apply(desired: PodEndpoint, pod: ManagerAPI.Pod) async throws(ManagerError) {
        let client = endpoints.namespace(pod.namespace)
        var attempts = 0
        while true {
            attempts += 1
            do {
                let existing: PodEndpoint
                do {
                    existing = try await client.get(pod.name)
                } catch where error.isNotFound {
                    _ = try await client.create(desired)
                    return
                }
                let merged = Self.merge(desired, into: existing)
                if merged != existing { _ = try await client.update(merged) }
                return
            } catch where (error.isConflict || error.isAlreadyExists) && attempts < 4 {
                continue
            } catch {
                throw .kubernetes(operation: "create or update PodEndpoint \(pod.namespace)/\(pod.name)", error)
            }
        }
    }

    /// `existing` with the spec, sandbox stamp and controller reference of `desired`; everything
    /// else (other annotations, labels, other owners) kept.
    static func merge(_ desired: PodEndpoint, into existing: PodEndpoint) -> PodEndpoint {
        var merged = existing
        merged.spec.staticGatewayConfiguration = desired.spec.staticGatewayConfiguration
        merged.spec.podIpAddress = desired.spec.podIpAddress
        merged.spec.podPublicKey = desired.spec.podPublicKey
        merged.metadata.annotations[sandboxAnnotation] = desired.metadata.annotations[sandboxAnnotation]
        // A pod recreated with the same name takes the object over, as controller-runtime does.
        merged.metadata.ownerReferences.removeAll { $0.controller == true }
        merged.metadata.ownerReferences += desired.metadata.ownerReferences
        return merged
    }

    /// Deletes exactly the version read, so a registration written meanwhile by a new sandbox survives.
    private func delete(_ endpoint: PodEndpoint) async throws(ManagerError) -> Bool {
        let namespace = endpoint.metadata.namespace, name = endpoint.metadata.name
        do {
            try await endpoints.namespace(namespace).delete(name, options: DeleteOptions(
                preconditionUID: endpoint.metadata.uid, preconditionResourceVersion: endpoint.metadata.resourceVersion))
            return true
        } catch {
            if error.isNotFound || error.isConflict { return false }
            metrics.podEndpointFailure(namespace: namespace, pod: name, operation: "delete")
            throw .kubernetes(operation: "delete PodEndpoint \(namespace)/\(name)", error)
        }
    }

    /// The gateway's side of the tunnel. Stricter than upstream, which tests only the egress
    /// prefix: a pod told an empty endpoint or key would come up with a dead tunnel.
    static func assignment(of gateway: StaticGatewayConfiguration) throws(ManagerError) -> ManagerAPI.NicAddResponse {
        let name = "\(gateway.metadata.namespace)/\(gateway.metadata.name)"
        let profile = gateway.status.gatewayServerProfile
        guard !gateway.status.egressIpPrefix.isEmpty else {
            throw .gatewayNotReady(name: name, reason: "the egress IP prefix is not ready yet")
        }
        guard !profile.ip.isEmpty, profile.port > 0, !profile.publicKey.isEmpty else {
            throw .gatewayNotReady(name: name, reason: "status.gatewayServerProfile has no ip, port or publicKey yet")
        }
        return ManagerAPI.NicAddResponse(
            endpointIP: profile.ip, endpointPort: Int(profile.port), publicKey: profile.publicKey,
            exceptionCIDRs: gateway.spec.excludeCidrs,
            defaultRoute: gateway.spec.defaultRoute == .azureNetworking ? "azureNetworking" : "staticEgressGateway")
    }

    static func validate(_ pod: ManagerAPI.Pod) throws(ManagerError) {
        guard isObjectName(pod.namespace) else {
            throw .invalidField(field: "pod.namespace", value: pod.namespace, reason: "must be a DNS label")
        }
        guard isObjectName(pod.name) else {
            throw .invalidField(field: "pod.name", value: pod.name, reason: "must be a DNS subdomain")
        }
    }

    /// Lower-case letters, digits, '-' and '.', 1–253 characters, alphanumeric at both ends.
    static func isObjectName(_ name: String) -> Bool {
        let scalars = Array(name.unicodeScalars)
        func alphanumeric(_ scalar: Unicode.Scalar) -> Bool { ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) }
        guard let first = scalars.first, let last = scalars.last, scalars.count <= 253,
              alphanumeric(first), alphanumeric(last) else { return false }
        return scalars.allSatisfy { alphanumeric($0) || $0 == "-" || $0 == "." }
    }
}

/// A nic-add request whose fields were checked.
struct ValidNicAdd {
    let request: ManagerAPI.NicAddRequest

    init(_ request: ManagerAPI.NicAddRequest) throws(ManagerError) {
        try PodEndpointRegistry.validate(request.pod)
        guard !request.containerID.isEmpty else {
            throw .invalidField(field: "containerID", value: "", reason: "must name the sandbox (CNI_CONTAINERID)")
        }
        guard PodEndpointRegistry.isObjectName(request.gatewayName) else {
            throw .invalidField(field: "gatewayName", value: request.gatewayName,
                                reason: "must name a StaticGatewayConfiguration in the pod's namespace")
        }
        do {
            _ = try PublicKey(base64: request.publicKey)
        } catch {
            throw .invalidField(field: "publicKey", value: request.publicKey, reason: "must be a base64 WireGuard key of 32 bytes")
        }
        guard let network = IPNetwork(request.allowedIP), network.address.isIPv4, network.prefixLength == 32 else {
            throw .invalidField(field: "allowedIP", value: request.allowedIP, reason: "must be the pod's IPv4 address as a /32")
        }
        guard (0...65535).contains(request.listenPort) else {
            throw .invalidField(field: "listenPort", value: String(request.listenPort), reason: "must be 0-65535")
        }
        self.request = request
    }

    func podEndpoint(owner: Pod) -> PodEndpoint {
        var metadata = ObjectMeta(name: request.pod.name, namespace: request.pod.namespace)
        metadata.annotations = [PodEndpointRegistry.sandboxAnnotation: request.containerID]
        metadata.ownerReferences = [OwnerReference(controlledBy: owner)]
        return PodEndpoint(metadata: metadata, spec: PodEndpointSpec(
            staticGatewayConfiguration: request.gatewayName, podIpAddress: request.allowedIP,
            podPublicKey: request.publicKey))
    }
}
