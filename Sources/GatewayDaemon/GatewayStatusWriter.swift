import EgressGatewayAPI
import Kube
import Logging

/// Keeps this node's GatewayStatus (`<node name>` in the daemon's namespace) up to date, writing
/// at most once per `minimumInterval` however many edits arrive: edits queue up and one write
/// applies them all to the object as the server has it, with both lists sorted. Nothing is
/// written when the edits leave the object as it was.
///
/// The object is created by the first addition, owned by the Node (so it goes with it), and
/// never deleted; removals alone never create it. A conflict re-reads and re-applies the edits,
/// which are all idempotent.
public actor GatewayStatusWriter {
    private let statuses: ResourceClient<GatewayStatus>
    private let nodes: ResourceClient<Node>
    private let nodeName: String
    private let minimumInterval: Duration
    private let logger: Logger

    private var pending: [GatewayStatusEdit] = []
    /// Edits accepted so far; a sweep's token is this count when it started.
    private var sequence: UInt64 = 0
    /// When each public key was last added, so a sweep that started before cannot drop it.
    private var addedAt: [String: UInt64] = [:]
    private var lastWrite: ContinuousClock.Instant?
    private let wake: AsyncStream<Void>.Continuation
    private let wakes: AsyncStream<Void>
    /// Writes made (creates and updates), for the benchmark and tests.
    public private(set) var writes = 0

    public init(client: KubeClient, nodeName: String, namespace: String, minimumInterval: Duration = .seconds(1),
                logger: Logger = Logger(label: "egressgw.gateway.status")) {
        statuses = client.resource(GatewayStatus.self, namespace: namespace)
        nodes = client.resource(Node.self)
        self.nodeName = nodeName
        self.minimumInterval = minimumInterval
        self.logger = logger
        (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    public func submit(_ edit: GatewayStatusEdit) {
        sequence += 1
        switch (pending.last, edit) {
        case (.addPeers(let earlier)?, .addPeers(let later)):
            // Pod events come one peer at a time; one edit per write keeps applying them linear.
            pending[pending.count - 1] = .addPeers(earlier + later)
        case (.removePeers(let earlier)?, .removePeers(let later)):
            pending[pending.count - 1] = .removePeers(earlier.union(later))
        default:
            pending.append(edit)
        }
        if case .addPeers(let peers) = edit {
            for peer in peers { addedAt[peer.publicKey] = sequence }
        }
        wake.yield()
    }

    /// Where a peer sweep starts: pass it to ``submitSweep(kept:failedInterfaces:startedAt:)``.
    public func sweepToken() -> UInt64 { sequence }

    /// The result of a peer sweep that started at `token`: keys added since stay whatever the
    /// sweep saw.
    public func submitSweep(kept: Set<String>, failedInterfaces: Set<String>, startedAt token: UInt64) {
        let recent = addedAt.filter { $0.value > token }.keys
        addedAt = addedAt.filter { $0.value > token || kept.contains($0.key) }
        submit(.keepPeers(kept: kept.union(recent), failedInterfaces: failedInterfaces))
    }

    /// Writes until cancelled.
    public func run() async {
        for await _ in wakes {
            if let lastWrite {
                try? await Task.sleep(until: lastWrite + minimumInterval, clock: .continuous)
            }
            guard !Task.isCancelled else { return }
            await flush()
        }
    }

    /// Applies every pending edit, retrying until written or cancelled.
    private func flush() async {
        var failures = 0
        while !pending.isEmpty, !Task.isCancelled {
            let edits = pending
            do {
                if try await write(edits) {
                    writes += 1
                    lastWrite = .now
                }
                pending.removeFirst(edits.count)
                failures = 0
            } catch let error where error.isConflict || error.isAlreadyExists {
                logger.debug("gateway status changed meanwhile, applying again", metadata: ["error": "\(error)"])
            } catch {
                logger.warning("failed to write gateway status", metadata: ["name": "\(nodeName)", "error": "\(error)"])
                try? await Task.sleep(for: ExponentialBackoff(base: .milliseconds(200), cap: .seconds(10)).delay(afterFailures: failures))
                failures += 1
            }
        }
    }

    /// One read and at most one write; false when nothing needed writing.
    private func write(_ edits: [GatewayStatusEdit]) async throws(KubeError) -> Bool {
        let current: GatewayStatus?
        do {
            current = try await statuses.get(nodeName)
        } catch where error.isNotFound {
            current = nil
        }
        guard var status = current else {
            guard edits.contains(where: \.creates) else { return false }
            let node = try await nodes.get(nodeName)
            var status = GatewayStatus(metadata: ObjectMeta(name: nodeName, namespace: statuses.namespace ?? ""),
                                       spec: GatewayStatusEdit.applying(edits, to: GatewayStatusSpec()))
            status.metadata.ownerReferences = [OwnerReference(apiVersion: "v1", kind: "Node", name: node.metadata.name,
                                                              uid: node.metadata.uid)]
            logger.info("Creating new gateway status object", metadata: ["name": "\(nodeName)"])
            _ = try await statuses.create(status)
            return true
        }
        let spec = GatewayStatusEdit.applying(edits, to: status.spec)
        guard spec != status.spec else { return false }
        status.spec = spec
        logger.debug("Updating gateway status object", metadata: [
            "gateways": "\(spec.readyGatewayConfigurations.count)", "peers": "\(spec.readyPeerConfigurations.count)",
        ])
        _ = try await statuses.update(status)
        return true
    }
}
