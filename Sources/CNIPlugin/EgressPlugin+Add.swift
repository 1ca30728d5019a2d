import Netlink
import WireGuard

extension EgressPlugin {
    /// ADD (upstream-cni §1.4–1.6). An unannotated pod gets its previous result back untouched,
    /// without the cni-manager when the runtime passed the annotations. An annotated pod gets
    /// `wg0` and its routes; if any step fails, everything done so far is undone (links, IPAM,
    /// the cni-manager registration, routes, the policy rule, table 8738, iptables, sysctls).
    public func add(_ request: CNIRequest) async throws(CNIError) -> CNIResult {
        let config = request.config
        var timer = StepTimer(logger: logger, command: "ADD")
        guard let previous = config.prevResult else {
            throw CNIError(code: .invalidConfig,
                           message: "invalid network config: prevResult is missing; egressgw-cni must be chained after the cluster's main CNI plugin")
        }
        let arguments = try CNIArguments(parsing: request.environment.arguments)
        guard let gatewayName = try await gatewayName(of: arguments.pod, config) else {
            return previous
        }
        timer.lap("find the pod's gateway")
        guard let pod = arguments.pod else {
            throw CNIError(code: .invalidEnvironment,
                           message: "the pod's annotations name gateway \"\(gatewayName)\" but CNI_ARGS lacks K8S_POD_NAMESPACE or K8S_POD_NAME")
        }
        guard !gatewayName.isEmpty else {
            throw CNIError(code: .invalidConfig,
                           message: "pod \(pod): annotation \(Self.gatewayAnnotation) is empty; it must name a StaticGatewayConfiguration")
        }
        guard !config.ipamType.isEmpty else {
            throw CNIError(code: .invalidConfig, message: "invalid network config: ipam.type should not be empty")
        }
        let excludedCIDRs = try PodRoutePlan.excludedNetworks(config.excludedCIDRs)
        let containerID = request.environment.containerID ?? ""
        let temporary = try Self.temporaryName(containerID: containerID)
        let namespaces = try PodNamespaces(podPath: request.environment.networkNamespace ?? "", host: options.hostNamespace)

        let journal = RollbackJournal()
        do throws(CNIError) {
            let attachment = PodAttachment(plugin: self, request: request, pod: pod, gatewayName: gatewayName,
                                           containerID: containerID, temporaryName: temporary, excludedCIDRs: excludedCIDRs,
                                           namespaces: namespaces, journal: journal)
            let result = try await attachment.run(previous: previous, timer: &timer)
            logger.info("pod \(pod) attached to gateway \(gatewayName)",
                        metadata: ["containerID": .string(containerID), "netns": .string(namespaces.pod.path)])
            return result
        } catch {
            let undone = journal.descriptions
            let failures = await journal.rollBack()
            var failed = error
            failed.message = "pod \(pod), gateway \(gatewayName): \(error.message)"
            var details = [error.details].filter { !$0.isEmpty }
            if !undone.isEmpty { details.append("rolled back: " + undone.reversed().joined(separator: "; ")) }
            if !failures.isEmpty { details.append("rollback failed: " + failures.joined(separator: "; ")) }
            failed.details = details.joined(separator: "; ")
            logger.error("ADD failed: \(failed)", metadata: request.environment.logMetadata)
            throw failed
        }
    }
}

/// The host and pod namespaces of one request, with a netlink handle on each.
struct PodNamespaces {
    let pod: NetworkNamespace
    let podLinks: NetlinkHandle
    let host: NetworkNamespace
    let hostLinks: NetlinkHandle

    /// Opens both; a pod namespace that does not exist is code 3, one that is the host's own is
    /// code 8 (a tunnel moved "into" it would stay in the host).
    init(podPath: String, host: NetworkNamespace) throws(CNIError) {
        pod = NetworkNamespace(path: podPath)
        self.host = host
        guard pod.exists else {
            throw CNIError(code: .unknownContainer, message: "network namespace \(podPath) does not exist")
        }
        if let identity = NamespaceIdentity(pod), identity == NamespaceIdentity(host) {
            throw CNIError(code: .invalidNamespace, message: "CNI_NETNS \(podPath) is the runtime's own network namespace")
        }
        do {
            podLinks = try NetlinkHandle(namespace: pod)
            hostLinks = try NetlinkHandle(namespace: host)
        } catch {
            throw .failed("open netlink in \(pod) and \(host)", error)
        }
    }
}
