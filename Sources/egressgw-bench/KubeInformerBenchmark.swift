import ArgumentParser
import EgressGatewayAPI
import Kube
import KubeEmulator
import Synchronization

/// What a gateway daemon's PodEndpoint controller goes through on a big cluster: an informer lists N PodEndpoints
/// from an API server, then a steady stream of writes reaches its reconcile through the watch. The API server is
/// the KubeEmulator in this process, reached over loopback HTTP by the real client.
struct KubeInformerBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kube-informer",
        abstract: "Time an informer's sync of N PodEndpoints and the write-to-reconcile latency of a watch stream.")

    @Option(help: "PodEndpoints to create before the informer starts.")
    var objects = 10_000

    @Option(help: "Namespaces the objects are spread over.")
    var namespaces = 10

    @Option(help: "Writes per second in the watch phase (merge patches, round robin over the objects).")
    var rate = 1_000

    @Option(help: "Length of the watch phase, in seconds.")
    var seconds = 10

    @Option(help: "Writes in flight at most (a slow server lowers the achieved rate rather than queueing writes).")
    var concurrency = 64

    @Option(help: "Objects per list page.")
    var pageSize = 500

    func validate() throws {
        guard (1...1_000_000).contains(objects) else { throw ValidationError("--objects must be between 1 and 1000000") }
        guard (1...1_000).contains(namespaces) else { throw ValidationError("--namespaces must be between 1 and 1000") }
        guard (1...100_000).contains(rate) else { throw ValidationError("--rate must be between 1 and 100000") }
        guard (1...3_600).contains(seconds) else { throw ValidationError("--seconds must be between 1 and 3600") }
        guard (1...1_024).contains(concurrency) else { throw ValidationError("--concurrency must be between 1 and 1024") }
        guard (1...10_000).contains(pageSize) else { throw ValidationError("--page-size must be between 1 and 10000") }
    }

    func run() async throws {
        // The history must hold the creations and every write of the watch phase, or a resumed watch gets 410.
        let emulator = KubeEmulator(configuration: .init(historyLimit: objects + rate * seconds + 10_000,
                                                          watchBufferLimit: rate * seconds + objects + 10_000))
        let server = try await emulator.start()
        defer { Task { await server.stop() } }
        let client = try KubeClient(configuration: KubeClientConfiguration(
            server: server.url, credentials: .none, namespace: "default",
            userAgent: KubeClientConfiguration.userAgent(version: "bench", role: "egressgw-bench"), proxy: .none))
        print("KubeEmulator at \(server.url) (in this process, plain HTTP); \(objects) PodEndpoints in \(namespaces) namespaces")

        let population = BenchmarkPopulation(client: client, objects: objects, namespaces: namespaces)
        let creation = try await ContinuousClock().measure { try await population.create(concurrency: concurrency) }
        print("create \(objects) pods and their PodEndpoints over HTTP (\(concurrency) in flight): \(ProcessMeasurements.format(creation)) (not counted)")

        let recorder = LatencyRecorder()
        let informer = Informer(client.resource(PodEndpoint.self),
                                configuration: Informer.Configuration(pageSize: pageSize))
        // Added before the controller's own handler, so the stamp is taken just before the key is queued.
        informer.addHandler(InformerHandler { endpoint in recorder.delivered(BenchmarkPopulation.sequence(of: endpoint)) })
        let controller = Controller(name: "bench-podendpoints", informer: informer) { key in
            recorder.reconciled(informer.store.get(key).flatMap(BenchmarkPopulation.sequence))
            return .done
        }

        let baseline = ProcessMeasurements.residentMemory() ?? 0
        let peakReset = ProcessMeasurements.resetPeakMemory()
        let clock = ContinuousClock()
        let started = clock.now
        let runtime = Task {
            await withDiscardingTaskGroup { group in
                group.addTask { await informer.run() }
                group.addTask { await controller.run() }
            }
        }
        defer { runtime.cancel() }
        await informer.waitForSync()
        let synced = clock.now
        let afterSync = ProcessMeasurements.residentMemory() ?? 0
        let peak = ProcessMeasurements.peakMemory() ?? 0
        while recorder.initialReconciles < objects { try await Task.sleep(for: .milliseconds(5)) }
        let drained = clock.now
        let (lists, _) = informer.requestCounts
        print("""
            informer sync (list of \(informer.store.count) objects in pages of \(pageSize), \(lists) list): \
            \(ProcessMeasurements.format(synced - started))
            first reconcile of every object (one worker): \(ProcessMeasurements.format(drained - started)) after the informer started
            memory: resident \(ProcessMeasurements.mebibytes(kibibytes: baseline)) before the informer, \
            +\(ProcessMeasurements.mebibytes(kibibytes: afterSync - baseline)) after sync, \
            peak growth \(peakReset ? "+" + ProcessMeasurements.mebibytes(kibibytes: peak - baseline) : "unknown (clear_refs refused)") \
            (the emulator shares the process: the peak includes its encoding of the list pages)
            """)

        let writes = rate * seconds
        print("watch phase: \(writes) merge patches at \(rate)/s, at most \(concurrency) in flight")
        let phase = try await population.stream(writes: writes, rate: rate, concurrency: concurrency, recorder: recorder)
        let deadline = clock.now + .seconds(30)
        while recorder.reconciledCount < writes, clock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        let achieved = Double(writes) / max(phase.milliseconds / 1000, 0.001)
        print("issued \(writes) writes in \(ProcessMeasurements.format(phase)) (\(ProcessMeasurements.rounded(achieved))/s); reconciled \(recorder.reconciledCount)")
        for line in recorder.report() { print(line) }
        print("peak memory of the process (client and emulator): \(ProcessMeasurements.mebibytes(kibibytes: ProcessMeasurements.peakMemory() ?? 0))")
    }
}

/// The benchmark's PodEndpoints: `pe-<i>` in `bench-<i mod namespaces>`, shaped as the cni-manager writes them
/// (a controller owner reference to their pod, which exists, a /32, a 44-character key), and the writes of the watch phase.
struct BenchmarkPopulation: Sendable {
    static let sequenceAnnotation = "bench.egressgw.io/sequence"

    let client: KubeClient
    let objects: Int
    let namespaces: Int

    func key(_ index: Int) -> ObjectKey { ObjectKey(namespace: "bench-\(index % namespaces)", name: "pe-\(index)") }

    func create(concurrency: Int) async throws {
        try await client.resource(CustomResourceDefinition.self).create(CustomResourceDefinitions.podEndpoint)
        for index in 0..<namespaces {
            _ = try await client.resource(Namespace.self).create(Namespace(name: "bench-\(index)"))
        }
        try await inParallel(count: objects, concurrency: concurrency) { index in
            let key = key(index)
            // The owner must exist: the emulator collects dependents of missing owners, as the API server does.
            let pod = try await client.resource(Pod.self, namespace: key.namespace).create(Pod(
                metadata: ObjectMeta(name: key.name, namespace: key.namespace),
                spec: PodSpec(nodeName: "node-\(index % 50)", containers: [Container(name: "app", unknownFields: ["image": "app"])])))
            var metadata = ObjectMeta(name: key.name, namespace: key.namespace)
            metadata.ownerReferences = [OwnerReference(controlledBy: pod)]
            let address = 0x0af4_0000 + UInt32(index)
            let endpoint = PodEndpoint(metadata: metadata, spec: PodEndpointSpec(
                staticGatewayConfiguration: "sgc-\(index % 4)",
                podIpAddress: "\(address >> 24).\(address >> 16 & 255).\(address >> 8 & 255).\(address & 255)/32",
                podPublicKey: Self.publicKey(index, generation: 0)))
            _ = try await client.resource(PodEndpoint.self, namespace: key.namespace).create(endpoint)
        }
    }

    /// `writes` merge patches, write `i` issued at `i / rate` seconds after the start (or as soon as a slot frees),
    /// each marking its object with its sequence number. Returns the time from the first to the last issue.
    func stream(writes: Int, rate: Int, concurrency: Int, recorder: LatencyRecorder) async throws -> Duration {
        let clock = ContinuousClock()
        let start = clock.now
        let interval = Duration.seconds(1) / rate
        let lastIssue = Mutex(start)
        try await inParallel(count: writes, concurrency: concurrency, pace: { index in
            try await clock.sleep(until: start + interval * index)
        }) { sequence in
            let key = key(sequence % objects)
            let patch: JSONValue = [
                "metadata": ["annotations": [Self.sequenceAnnotation: .string(String(sequence))]],
                "spec": ["podPublicKey": .string(Self.publicKey(sequence % objects, generation: sequence / objects + 1))],
            ]
            let issued = clock.now
            recorder.issued(sequence, at: issued)
            lastIssue.withLock { $0 = max($0, issued) }
            _ = try await client.resource(PodEndpoint.self, namespace: key.namespace).patch(key.name, .merge(patch))
            recorder.written(sequence, rtt: clock.now - issued)
        }
        return lastIssue.withLock { $0 } - start
    }

    static func sequence(of endpoint: PodEndpoint) -> Int? {
        endpoint.metadata.annotations[sequenceAnnotation].flatMap { Int($0) }
    }

    /// A base64 text of WireGuard key length (44 characters), different per object and generation.
    static func publicKey(_ index: Int, generation: Int) -> String {
        let digits = String(index * 1_000 + generation)
        return String(repeating: "A", count: 43 - digits.count) + digits + "="
    }

    /// Runs `body(0..<count)` with at most `concurrency` at once; `pace` runs before each start.
    private func inParallel(count: Int, concurrency: Int, pace: @escaping @Sendable (Int) async throws -> Void = { _ in },
                            _ body: @escaping @Sendable (Int) async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<count {
                if index >= concurrency { try await group.next() }
                try await pace(index)
                group.addTask { try await body(index) }
            }
            try await group.waitForAll()
        }
    }
}

/// Instants of each write of the watch phase (by sequence number): issued, acknowledged, delivered by the
/// informer's watch, and picked up by a reconcile. Reconciles of objects without a sequence (the initial adds)
/// are only counted.
final class LatencyRecorder: Sendable {
    private struct State {
        var issued: [Int: ContinuousClock.Instant] = [:]
        var delivered: [Int: ContinuousClock.Instant] = [:]
        var reconciled: [Int: ContinuousClock.Instant] = [:]
        var roundTrips: [Duration] = []
        var initialReconciles = 0
    }

    private let state = Mutex(State())

    func issued(_ sequence: Int, at instant: ContinuousClock.Instant) {
        state.withLock { $0.issued[sequence] = instant }
    }

    func written(_ sequence: Int, rtt: Duration) {
        state.withLock { $0.roundTrips.append(rtt) }
    }

    func delivered(_ sequence: Int?) {
        guard let sequence else { return }
        let now = ContinuousClock.now
        state.withLock { state in if state.delivered[sequence] == nil { state.delivered[sequence] = now } }
    }

    func reconciled(_ sequence: Int?) {
        let now = ContinuousClock.now
        state.withLock { state in
            guard let sequence else { return state.initialReconciles += 1 }
            if state.reconciled[sequence] == nil { state.reconciled[sequence] = now }
        }
    }

    var initialReconciles: Int { state.withLock { $0.initialReconciles } }
    var reconciledCount: Int { state.withLock { $0.reconciled.count } }

    /// p50/p90/p99/max lines: write round trip, write → watch delivery, delivery → reconcile (the work queue),
    /// write → reconcile.
    func report() -> [String] {
        state.withLock { state in
            func spans(_ from: [Int: ContinuousClock.Instant], _ to: [Int: ContinuousClock.Instant]) -> [Duration] {
                to.compactMap { sequence, end in from[sequence].map { end - $0 } }
            }
            return [
                ProcessMeasurements.percentiles("write round trip (merge patch)", state.roundTrips),
                ProcessMeasurements.percentiles("write issued → watch event in the informer", spans(state.issued, state.delivered)),
                ProcessMeasurements.percentiles("watch event → reconcile (work queue)", spans(state.delivered, state.reconciled)),
                ProcessMeasurements.percentiles("write issued → reconcile", spans(state.issued, state.reconciled)),
            ]
        }
    }
}
