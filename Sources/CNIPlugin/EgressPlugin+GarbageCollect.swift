import Logging
import Netlink

extension EgressPlugin {
    /// STATUS: the plugin can service ADD only when the cni-manager answers (code 50 otherwise).
    public func status(_ request: CNIRequest) async throws(CNIError) {
        do throws(EgressManagerError) {
            try await manager(request.config).checkAvailable()
        } catch {
            throw CNIError(code: .pluginNotAvailable, message: "egressgw-cni cannot attach pods: \(error)")
        }
    }

    /// GC: removes what ADDs of sandboxes the runtime no longer lists left behind — temporary
    /// tunnel links in the host namespace (an ADD killed between creating and moving one) and the
    /// cni-manager registrations (PodEndpoints) of this node's sandboxes.
    public func garbageCollect(_ request: CNIRequest) async throws(CNIError) {
        let valid = request.config.validContainerIDs ?? []
        let removedLinks = removeLeftoverLinks(validContainerIDs: valid)
        if !removedLinks.isEmpty {
            logger.info("GC: removed leftover temporary links", metadata: ["links": "\(removedLinks)"])
        }
        do throws(EgressManagerError) {
            let removed = try await manager(request.config).collectGarbage(validContainerIDs: valid)
            if !removed.isEmpty { logger.info("GC: removed registrations", metadata: ["pods": "\(removed)"]) }
        } catch {
            throw CNIError(code: error.code, message: "GC: removing stale registrations failed: \(error)")
        }
    }

    /// The host's links that look like our temporary tunnels (`wg` + 8 characters, WireGuard or
    /// TUN, no alias other than their own name) and belong to no valid sandbox; deleted.
    func removeLeftoverLinks(validContainerIDs: [String]) -> [String] {
        let validNames = Set(validContainerIDs.compactMap { try? Self.temporaryName(containerID: $0) })
        guard let handle = try? NetlinkHandle(namespace: options.hostNamespace), let links = try? handle.links() else {
            return []
        }
        var removed: [String] = []
        for link in links where Self.isTemporaryTunnel(link) && !validNames.contains(link.name) {
            do {
                try handle.deleteLink(named: link.name)
                removed.append(link.name)
            } catch {
                logger.warning("GC: deleting leftover link \(link.name) failed: \(error)")
            }
        }
        return removed
    }

    static func isTemporaryTunnel(_ link: Link) -> Bool {
        guard link.name.hasPrefix("wg"), link.name.count == 10, ["wireguard", "tun"].contains(link.kind ?? ""),
              link.alias == nil || link.alias == link.name,
              (try? temporaryName(containerID: String(link.name.dropFirst(2)))) == link.name else { return false }
        return true
    }
}
