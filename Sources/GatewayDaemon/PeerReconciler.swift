import EgressGatewayAPI
import Kube
import WireGuard

/// The peer controller's reconcile (spec §5) and the periodic peer sweep (§3.4).
extension GatewayDaemon {
    func reconcilePeer(_ key: ObjectKey) async throws -> ReconcileResult {
        if key == Self.cleanupKey {
            await sweepPeers()
            return .done
        }
        let endpoint = endpointInformer.store.get(key)
        let installed = await ledger.installedPeer(key)
        var wanted: PeerLedger.InstalledPeer?
        if let endpoint {
            let gateway = DesiredState.gatewayKey(of: endpoint)
            // A link is ready only for a gateway that serves this node: others are nobody's here.
            if let port = await ledger.port(ofReadyGateway: gateway) {
                do {
                    wanted = PeerLedger.InstalledPeer(gateway: gateway, port: port, peer: try DesiredState.peer(of: endpoint))
                } catch {
                    // Bad input is not retried: the endpoint's next update brings a new event.
                    logger.warning("ignoring PodEndpoint", metadata: ["object": "\(key)", "error": "\(error)"])
                }
            }
        }
        guard wanted != installed else { return .done }
        logger.debug("Reconciling PodEndpoint", metadata: ["object": "\(key)"])
        // Whatever was installed and is not wanted as it is goes now, route included (the Go
        // daemon leaves a deleted endpoint's peer to the next sweep, and an old address's route
        // for ever). A gateway whose link is not ready keeps its peers for when it is.
        if let installed, endpoint == nil || wanted != nil || endpoint.map(DesiredState.gatewayKey) != installed.gateway {
            // A link the cleanup deleted took its peers along.
            if await ledger.readyGateways.values.contains(installed.port) {
                do {
                    try await dataPath.removePeers([installed.peer], port: installed.port)
                } catch {
                    throw GatewayDaemonError.dataPath(object: "PodEndpoint \(key)", cause: error)
                }
            }
            await ledger.forgetPeer(key)
            await status.submit(.removePeers([installed.peer.publicKey.base64]))
        }
        guard let wanted else { return .done }
        do {
            try await dataPath.addPeers([wanted.peer], port: wanted.port)
        } catch {
            throw GatewayDaemonError.dataPath(object: "PodEndpoint \(key)", cause: error)
        }
        await ledger.recordPeer(key, wanted)
        await status.submit(.addPeers([EgressGatewayAPI.PeerConfiguration(
            podEndpoint: key.description, interfaceName: GatewayLayout.wireGuardLinkName(port: wanted.port),
            publicKey: wanted.peer.publicKey.base64)]))
        logger.debug("Pod wireguard endpoint reconciled", metadata: ["object": "\(key)"])
        return .done
    }

    /// Removes every peer no PodEndpoint asks for from the active links, and makes the status's
    /// peer list what the links hold.
    func sweepPeers() async {
        let token = await status.sweepToken()
        let report = await dataPath.removeStalePeers(expected: desired.expectedPeers())
        for (port, keys) in report.removed {
            await ledger.peersRemoved(port: port, keys: Set(keys.map(\.base64)))
        }
        let kept = Set(report.kept.values.joined().map(\.base64))
        let failed = Set(report.failures.keys.map { GatewayLayout.wireGuardLinkName(port: $0) })
        await status.submitSweep(kept: kept, failedInterfaces: failed, startedAt: token)
        if !report.changes.isEmpty {
            logger.info("Wireguard peer cleanup completed", metadata: ["changes": "\(report.changes.count)"])
        }
    }
}
