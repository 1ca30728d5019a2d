import Kube
import Logging
import ServiceLifecycle

/// Keeps our conflist in place for the manager's lifetime (upstream-cni §3.5, §3.6): writes it at
/// start, reconciles on every change in the directory — so our file is also repaired when someone
/// deletes or edits it, which upstream ignores — and on shutdown removes it when the uninstall
/// ConfigMap asks for that.
///
/// A main config that does not parse leaves our file as it was; the failure is logged and counted.
public struct ConflistManager: Service {
    public let directory: ConflistDirectory
    let uninstall: UninstallPolicy?
    let metrics: ManagerMetrics
    let logger: Logger
    /// Called after each reconcile that left our file in place (the taint remover listens).
    let onInstalled: @Sendable () async -> Void

    public init(directory: ConflistDirectory, uninstall: UninstallPolicy?, metrics: ManagerMetrics = ManagerMetrics(),
                logger: Logger, onInstalled: @escaping @Sendable () async -> Void = {}) {
        self.directory = directory
        self.uninstall = uninstall
        self.metrics = metrics
        self.logger = logger
        self.onInstalled = onInstalled
    }

    public func run() async throws {
        let watcher = try DirectoryWatcher(path: directory.path)
        defer { watcher.stop() }
        await reconcile(operation: "install")
        await withGracefulShutdownHandler {
            for await _ in watcher.changes.cancelOnGracefulShutdown() {
                await reconcile(operation: "regenerate")
            }
        } onGracefulShutdown: {
            watcher.stop()
        }
        await shutDown()
    }

    /// One pass: write what differs, report what failed.
    func reconcile(operation: String) async {
        do throws(ConflistError) {
            if case .written(let main) = try directory.reconcile() {
                logger.info("wrote \(directory.filePath)", metadata: ["mainConfig": "\(main)"])
            }
        } catch {
            if case .noMainConfig = error, operation == "install" {
                logger.info("\(error); waiting for the main CNI to write its config")
            } else {
                metrics.cniConfigFailure(operation: operation)
                logger.error("\(operation) of \(directory.filePath) failed, file left as it was: \(error)")
            }
        }
        if directory.isInstalled { await onInstalled() }
    }

    /// The uninstall decision of §3.6; without a policy the file always stays.
    func shutDown() async {
        guard let uninstall else { return }
        switch await uninstall.decide() {
        case .keep(let reason):
            logger.info("keeping \(directory.filePath): \(reason)")
        case .remove(let reason):
            do throws(ConflistError) {
                try directory.remove()
                logger.info("removed \(directory.filePath): \(reason)")
            } catch {
                metrics.cniConfigFailure(operation: "uninstall")
                logger.error("uninstall: \(error)")
            }
        case .failed(let error):
            metrics.cniConfigFailure(operation: "uninstall")
            logger.error("uninstall: cannot read the uninstall ConfigMap, keeping \(directory.filePath): \(error)")
        }
    }
}

/// Whether the conflist goes when the manager stops: only when the ConfigMap exists and its
/// `uninstall` is not exactly `"false"` (a Helm upgrade leaves it `"false"`, so pods keep being
/// chained across manager restarts).
public struct UninstallPolicy: Sendable {
    public static let defaultConfigMapName = "cni-uninstall"
    public static let key = "uninstall"

    let configMaps: ResourceClient<ConfigMap>
    let name: String

    public init(client: KubeClient, namespace: String, configMapName: String = UninstallPolicy.defaultConfigMapName) {
        configMaps = client.resource(ConfigMap.self, namespace: namespace)
        name = configMapName
    }

    public enum Decision: Sendable {
        case keep(String)
        case remove(String)
        case failed(KubeError)
    }

    public func decide() async -> Decision {
        let configMap: ConfigMap
        do {
            configMap = try await configMaps.get(name)
        } catch {
            return error.isNotFound ? .keep("ConfigMap \(name) does not exist") : .failed(error)
        }
        return Self.decision(configMap.data[Self.key], name: name)
    }

    static func decision(_ value: String?, name: String) -> Decision {
        value == "false" ? .keep("ConfigMap \(name) says uninstall: \"false\"")
            : .remove("ConfigMap \(name) says uninstall: \(value.map { "\"\($0)\"" } ?? "(absent)")")
    }
}
