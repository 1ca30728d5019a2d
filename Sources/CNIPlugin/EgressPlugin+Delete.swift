import Logging
import Netlink
import WireGuard

extension EgressPlugin {
    /// DEL (upstream-cni §1.7), which never fails: each step that cannot be done is logged and
    /// the next one still runs. Removes `wg0` from the pod (with the userspace backend that ends
    /// its wireguard-go) and a temporary link a crashed ADD may have left in the host, runs the
    /// IPAM DEL, and removes the cni-manager registration of this sandbox. The registration is
    /// skipped only when the runtime's annotations show the pod never had one, so an unannotated
    /// pod's DEL does not wait on the cni-manager. Routes, rules and iptables rules stay: they
    /// live in the pod's namespace, which is going away, and those through `wg0` left with it.
    public func delete(_ request: CNIRequest) async throws(CNIError) {
        let config = request.config
        var metadata = request.environment.logMetadata
        let containerID = request.environment.containerID ?? ""
        metadata["containerID"] = .string(containerID)
        var timer = StepTimer(logger: logger, command: "DEL")

        if let temporary = try? Self.temporaryName(containerID: containerID) {
            removeLeftover(temporary, metadata: metadata)
        }
        timer.lap("leftover temporary link")
        if let path = request.environment.networkNamespace {
            removeTunnel(in: NetworkNamespace(path: path), metadata: metadata)
        }
        timer.lap("delete \(Self.tunnelInterface)")
        if !config.ipamType.isEmpty {
            do {
                try await delegate(for: config).delete(request)
            } catch {
                logger.warning("DEL: IPAM \(config.ipamType) failed: \(error)", metadata: metadata)
            }
        }
        timer.lap("IPAM")

        let pod: PodReference?
        do {
            pod = try CNIArguments(parsing: request.environment.arguments).pod
        } catch {
            logger.warning("DEL: \(error); the cni-manager registration is left to Kubernetes garbage collection", metadata: metadata)
            return
        }
        guard let pod else { return }
        if let annotations = config.podAnnotations, annotations[Self.gatewayAnnotation] == nil { return }
        do throws(EgressManagerError) {
            try await manager(config).nicDel(NicDelRequest(pod: pod, containerID: containerID))
        } catch {
            logger.warning("DEL: removing the registration of pod \(pod) failed: \(error)", metadata: metadata)
        }
        timer.lap("cni-manager nic del")
    }

    /// Deletes `wg0` in the pod; through the WireGuard client when it can reach the device, so a
    /// userspace implementation's socket is gone before DEL returns.
    private func removeTunnel(in pod: NetworkNamespace, metadata: Logger.Metadata) {
        guard pod.exists else {
            logger.info("DEL: network namespace \(pod.path) is gone; nothing to remove inside it", metadata: metadata)
            return
        }
        do {
            let links = try NetlinkHandle(namespace: pod)
            guard (try? links.link(named: Self.tunnelInterface)) != nil else { return }
            if let client = try? WireGuardClient(namespace: pod, options: options.wireGuard),
               (try? client.deleteDevice(named: Self.tunnelInterface)) != nil {
                return
            }
            try links.deleteLink(named: Self.tunnelInterface)
        } catch {
            logger.warning("DEL: deleting \(Self.tunnelInterface) in \(pod) failed: \(error)", metadata: metadata)
        }
    }

    /// A temporary link of this container still in the host: its ADD died between creating and
    /// moving it.
    private func removeLeftover(_ temporary: String, metadata: Logger.Metadata) {
        do {
            let links = try NetlinkHandle(namespace: options.hostNamespace)
            guard (try? links.link(named: temporary)) != nil else { return }
            try links.deleteLink(named: temporary)
            logger.info("DEL: removed the leftover temporary link \(temporary)", metadata: metadata)
        } catch {
            logger.warning("DEL: deleting the leftover link \(temporary) failed: \(error)", metadata: metadata)
        }
    }
}
