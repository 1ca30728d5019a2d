import Logging
import Synchronization

/// What a role's process sets up before anything logs or counts: swift-log writing `format` at
/// `level` to standard error, and swift-metrics recording into one ``MetricsRegistry`` (which the
/// role's `/metrics` endpoint renders). Every entry point makes this one call and takes its logger
/// and registry from the answer.
public struct ProcessObservability: Sendable {
    /// A logger named after the role.
    public let logger: Logger
    /// The registry behind swift-metrics in this process.
    public let metrics: MetricsRegistry

    /// Bootstraps both systems on the first call in the process. swift-log and swift-metrics trap
    /// on a second bootstrap; a later call here (several roles run in one test process) changes
    /// neither and answers the first call's registry with a logger named `label`.
    public static func bootstrap(label: String, format: LogFormat, level: Logger.Level) -> ProcessObservability {
        LoggingSystem.bootstrap(format: format, level: level)
        let registry = processRegistry.withLock { registry in
            if let registry { return registry }
            let made = MetricsRegistry()
            made.bootstrapMetricsSystem()
            registry = made
            return made
        }
        return ProcessObservability(logger: Logger(label: label), metrics: registry)
    }

    private static let processRegistry = Mutex<MetricsRegistry?>(nil)
}
