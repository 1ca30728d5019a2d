import EgressGatewayAPI
import Kube

/// The gateway controller's reconcile (spec §4), and the cleanup it runs.
extension GatewayDaemon {
    func reconcileGateway(_ key: ObjectKey) async throws -> ReconcileResult {
        // A gateway is applied with all its peers in one batch: that needs every PodEndpoint
        // listed first (the controller itself only waits for the informers it watches).
        await endpointInformer.waitForSync()
        if key == Self.cleanupKey {
            await cleanUp()
            return .done
        }
        guard let gateway = gatewayInformer.store.get(key) else {
            // Gone without this daemon seeing a deletion (no finalizer held it): clean up now
            // rather than at the next tick, if it was served here.
            if await ledger.port(ofReadyGateway: key) != nil { await cleanUp() }
            return .done
        }
        guard desired.serves(gateway) else {
            // No longer for this node (its pool changed): its link goes now, not at the next tick.
            if await ledger.port(ofReadyGateway: key) != nil { await cleanUp() }
            return .done
        }
        if gateway.metadata.isBeingDeleted {
            await cleanUp()
            return .done
        }
        logger.debug("Reconciling gateway configuration", metadata: ["object": "\(key)"])
        let (wanted, peers) = try desired.configuration(of: gateway)
        let changes: DataPathChanges
        do {
            changes = try await dataPath.apply(wanted)
        } catch {
            throw GatewayDaemonError.dataPath(object: "StaticGatewayConfiguration \(key)", cause: error)
        }
        if !changes.createdLinks.isEmpty { implementations?.adopt(devices: changes.createdLinks) }
        await ledger.gatewayApplied(key, port: wanted.port, uid: wanted.uid, peers: peers)
        await status.submit(.addGateway(staticGatewayConfiguration: key.description, interfaceName: wanted.linkName))
        if !peers.isEmpty {
            await status.submit(.addPeers(peers.map { endpoint, peer in
                EgressGatewayAPI.PeerConfiguration(podEndpoint: endpoint.description, interfaceName: wanted.linkName,
                                                   publicKey: peer.publicKey.base64)
            }))
        }
        // Last, as upstream: the load balancer sends this gateway's tunnels here only once all is set.
        probes.markHealthy(wanted.uid)
        await requeueEndpointsMissing(gateway: key)
        if !changes.isEmpty { logger.info("Gateway configuration reconciled", metadata: ["object": "\(key)"]) }
        return .done
    }

    /// PodEndpoints of `gateway` that arrived after its peers were read for the apply go to the
    /// peer controller; their link exists now.
    private func requeueEndpointsMissing(gateway: ObjectKey) async {
        for endpoint in endpointInformer.store.byIndex(DesiredState.gatewayIndex, gateway.description) {
            let key = endpoint.objectKey
            if (try? DesiredState.peer(of: endpoint)) != (await ledger.installedPeer(key))?.peer {
                peerController.queue.add(key)
            }
        }
    }

    /// Removes what no active gateway needs (§4.5), and follows up what went: the probes of the
    /// removed gateways fail from now on, and their status items and ledger entries go.
    func cleanUp() async {
        let report = await dataPath.cleanup(active: desired.activeGateways())
        for removed in report.removedGateways {
            let uid = await ledger.uid(ofPort: removed.port) ?? removed.uid
            if let uid { probes.remove(uid) }
            await ledger.linkRemoved(port: removed.port)
            await status.submit(.removeGateway(interfaceName: removed.linkName))
        }
        passes.add(1, ordering: .relaxed)
        if !report.changes.isEmpty {
            logger.info("Network namespace cleanup completed", metadata: ["changes": "\(report.changes.count)"])
        }
    }
}
