import ArgumentParser
import Logging
import Observability

/// `--log-format` and `--log-level`, shared by every role that logs.
struct LoggingOptions: ParsableArguments {
    /// The defaults, also for the CNI plugins when a runtime runs them without the parser.
    static let defaultFormat = LogFormat.json
    static let defaultLevel = Logger.Level.info

    @Option(help: "Log line format: json (one object per line, for collectors) or console (for people).")
    var logFormat: LogFormat = LoggingOptions.defaultFormat

    @Option(help: "Lowest level written.")
    var logLevel: Logger.Level = LoggingOptions.defaultLevel

    /// Logging with these options and the process's metrics registry, bootstrapped once for the
    /// whole process; `label` names the returned logger.
    func observability(label: String) -> ProcessObservability {
        ProcessObservability.bootstrap(label: label, format: logFormat, level: logLevel)
    }
}

extension LogFormat: ExpressibleByArgument {}
extension Logger.Level: @retroactive ExpressibleByArgument {}
