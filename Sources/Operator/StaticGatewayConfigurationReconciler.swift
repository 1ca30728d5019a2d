import EgressGatewayAPI
import Kube
import Logging
import WireGuard

/// Reconciles a StaticGatewayConfiguration (spec §2): its WireGuard key Secret, its GatewayLBConfiguration (same
/// namespace and name, controlled by it), and its status copied back from the LB configuration, with a `Ready`
/// condition. It never touches Azure.
///
/// Reads come from the informer caches; a write made from a stale cache fails with a conflict and is retried.
/// Differences from the Go controller (spec §8.2): events and metrics report failures as failures, an invalid spec
/// is a `Ready=False InvalidSpec` condition rather than an endless backoff, and status writes that fail fail the pass.
public struct StaticGatewayConfigurationReconciler: Sendable {
    /// Event source component, as the Go controller names it.
    public static let component = "staticGatewayConfiguration-controller"

    let client: KubeClient
    let settings: OperatorSettings
    let sgcs: ObjectStore<StaticGatewayConfiguration>
    let lbConfigurations: ObjectStore<GatewayLBConfiguration>
    let secrets: ObjectStore<Secret>
    let events: EventRecorder
    let metrics: ReconcileMetrics
    let logger: Logger

    public init(client: KubeClient, settings: OperatorSettings, sgcs: ObjectStore<StaticGatewayConfiguration>,
                lbConfigurations: ObjectStore<GatewayLBConfiguration>, secrets: ObjectStore<Secret>,
                events: EventRecorder, metrics: ReconcileMetrics,
                logger: Logger = Logger(label: "egressgw.operator.sgc")) {
        self.client = client
        self.settings = settings
        self.sgcs = sgcs
        self.lbConfigurations = lbConfigurations
        self.secrets = secrets
        self.events = events
        self.metrics = metrics
        self.logger = logger
    }

    public func reconcile(_ key: ObjectKey) async throws -> ReconcileResult {
        guard let sgc = sgcs.get(key) else { return .done }
        let resource = "\(key.namespace)/\(key.name)"
        if sgc.metadata.isBeingDeleted {
            guard sgc.metadata.hasFinalizer(EgressGateway.Finalizer.staticGatewayConfiguration) else { return .done }
            return try await metrics.measure(.deleteStaticGatewayConfiguration, resource: resource) {
                try await delete(sgc)
            }
        }
        // An invalid spec waits for the user's next edit (which is an event), so it is not retried.
        _ = try await metrics.measure(.reconcileStaticGatewayConfiguration, resource: resource, succeeded: { $0 }) {
            try await provision(sgc)
        }
        return .done
    }

    // MARK: Provisioning

    /// One pass; returns false when the spec is invalid (a failure for the metrics, but nothing to retry).
    private func provision(_ observed: StaticGatewayConfiguration) async throws -> Bool {
        var sgc = observed
        do {
            try sgc.validate()
        } catch {
            await events.record(sgc, type: Event.warning, reason: "InvalidSpec", message: "\(error)")
            try await writeStatus(of: sgc, from: observed, ready: ReadyState(reason: .invalidSpec, message: "\(error)"))
            return false
        }
        if sgc.metadata.addFinalizer(EgressGateway.Finalizer.staticGatewayConfiguration) {
            do {
                sgc = try await client.resource(StaticGatewayConfiguration.self).update(sgc)
            } catch {
                throw error.during("add the finalizer to StaticGatewayConfiguration \(sgc.objectKey)")
            }
        }
        let latest = sgc
        do {
            let secret = try await reconcileKeySecret(of: sgc)
            if !secret.metadata.isBeingDeleted {
                sgc.status.gatewayServerProfile.privateKeySecretRef = KeySecret.reference(to: secret)
                sgc.status.gatewayServerProfile.publicKey = secret.string(forKey: EgressGateway.SecretKey.publicKey) ?? ""
            }
            let lbConfiguration = try await reconcileLBConfiguration(of: sgc)
            if let lbConfiguration, !lbConfiguration.metadata.isBeingDeleted, let status = lbConfiguration.status {
                sgc.status.gatewayServerProfile.ip = status.frontendIp
                sgc.status.gatewayServerProfile.port = status.serverPort
                sgc.status.egressIpPrefix = status.egressIpPrefix
            }
            try await writeStatus(of: sgc, from: latest,
                                  ready: ReadyState.of(sgc.status, lbConfiguration: lbConfiguration))
        } catch {
            await events.record(sgc, type: Event.warning, reason: "ReconcileError", message: "\(error)")
            throw error
        }
        let prefix = sgc.status.egressIpPrefix
        await events.record(sgc, reason: prefix.isEmpty ? "Reconciling" : "Reconciled",
                            message: "StaticGatewayConfiguration provisioned with egress prefix "
                                + (prefix.isEmpty ? "<pending>" : prefix))
        return true
    }

    /// Creates the key Secret, or completes its labels and key; returns it as stored.
    private func reconcileKeySecret(of sgc: StaticGatewayConfiguration) async throws -> Secret {
        let name = EgressGateway.keySecretName(staticGatewayConfigurationUID: sgc.metadata.uid)
        let api = client.resource(Secret.self, namespace: settings.secretNamespace)
        var observed = secrets.get(namespace: settings.secretNamespace, name: name)
        if observed == nil {
            // The cache holds only labelled Secrets, and may lag behind a create of the previous pass.
            do {
                observed = try await api.get(name)
            } catch .notFound {
            } catch {
                throw error.during("get Secret \(settings.secretNamespace)/\(name)")
            }
        }
        let desired: Secret
        do {
            desired = try KeySecret.desired(for: sgc, namespace: settings.secretNamespace, observed: observed)
        } catch {
            throw OperatorError.keyGeneration(sgc: sgc.objectKey, error)
        }
        guard let observed else {
            do {
                return try await api.create(desired)
            } catch {
                throw error.during("create Secret \(settings.secretNamespace)/\(name)")
            }
        }
        guard desired != observed else { return observed }
        do {
            return try await api.update(desired)
        } catch {
            throw error.during("update Secret \(settings.secretNamespace)/\(name)")
        }
    }

    /// Creates or updates the GatewayLBConfiguration of `sgc`; returns it as stored (nil while the cache lags
    /// behind a create: the create event brings the SGC back).
    private func reconcileLBConfiguration(of sgc: StaticGatewayConfiguration) async throws -> GatewayLBConfiguration? {
        let api = client.resource(GatewayLBConfiguration.self)
        let owner = OwnerReference(controlledBy: sgc)
        guard var child = lbConfigurations.get(sgc.objectKey) else {
            let created = GatewayLBConfiguration(
                metadata: ObjectMeta(name: sgc.metadata.name, namespace: sgc.metadata.namespace),
                spec: GatewayLBConfigurationSpec(copying: sgc.spec))
            var withOwner = created
            withOwner.metadata.ownerReferences = [owner]
            do {
                return try await api.create(withOwner)
            } catch .alreadyExists {
                return nil
            } catch {
                throw error.during("create GatewayLBConfiguration \(sgc.objectKey)")
            }
        }
        if let controller = child.metadata.controllerReference, controller.uid != sgc.metadata.uid {
            throw OperatorError.ownedByAnother(child: "GatewayLBConfiguration \(sgc.objectKey)",
                                               owner: "\(controller.kind) \(controller.name) (uid \(controller.uid))")
        }
        let before = child
        child.spec.copyTarget(from: sgc.spec)
        if child.metadata.controllerReference == nil { child.metadata.ownerReferences.append(owner) }
        guard child != before else { return child }
        do {
            return try await api.update(child)
        } catch {
            throw error.during("update GatewayLBConfiguration \(sgc.objectKey)")
        }
    }

    /// Writes the status of `sgc` with `ready` when it differs from `observed`'s.
    private func writeStatus(of sgc: StaticGatewayConfiguration, from observed: StaticGatewayConfiguration,
                             ready: ReadyState) async throws {
        var updated = sgc
        updated.status.setReady(ready, generation: sgc.metadata.generation)
        guard updated.status != observed.status else { return }
        do {
            _ = try await client.resource(StaticGatewayConfiguration.self).updateStatus(updated)
        } catch {
            throw error.during("update the status of StaticGatewayConfiguration \(sgc.objectKey)")
        }
    }

    // MARK: Deletion

    /// Deletes the key Secret and the LB configuration in one pass; releases the SGC once both are gone (the
    /// LB configuration stays until its controller has cleaned Azure, and its deletion brings the SGC back).
    private func delete(_ sgc: StaticGatewayConfiguration) async throws -> ReconcileResult {
        let secretName = EgressGateway.keySecretName(staticGatewayConfigurationUID: sgc.metadata.uid)
        await events.record(sgc, reason: "Deleting",
                            message: "deleting the key Secret and the GatewayLBConfiguration")
        let secretGone = try await deleteChild("Secret \(settings.secretNamespace)/\(secretName)") {
            () async throws(KubeError) in
            _ = try await client.resource(Secret.self, namespace: settings.secretNamespace).delete(secretName)
        }
        let lbGone = try await deleteChild("GatewayLBConfiguration \(sgc.objectKey)") {
            () async throws(KubeError) in
            _ = try await client.resource(GatewayLBConfiguration.self, namespace: sgc.metadata.namespace)
                .delete(sgc.metadata.name)
        }
        guard secretGone && lbGone else {
            let waitingFor = lbConfigurations.get(sgc.objectKey)?.status?.readyCondition?.message ?? ""
            try await writeStatus(of: sgc, from: sgc, ready: ReadyState(
                reason: .deletionBlocked,
                message: "waiting for the GatewayLBConfiguration to release Azure resources"
                    + (waitingFor.isEmpty ? "" : ": " + waitingFor)))
            return .done
        }
        var released = sgc
        released.metadata.removeFinalizer(EgressGateway.Finalizer.staticGatewayConfiguration)
        do {
            _ = try await client.resource(StaticGatewayConfiguration.self).update(released)
        } catch .notFound {
        } catch {
            throw error.during("remove the finalizer of StaticGatewayConfiguration \(sgc.objectKey)")
        }
        await events.record(sgc, reason: "Deleted", message: "StaticGatewayConfiguration cleaned up")
        return .done
    }

    /// Deletes one child; true when it was already gone.
    private func deleteChild(_ what: String, _ delete: () async throws(KubeError) -> Void) async throws -> Bool {
        do {
            try await delete()
            return false
        } catch .notFound {
            return true
        } catch {
            throw error.during("delete \(what)")
        }
    }
}
