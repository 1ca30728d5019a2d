import ArgumentParser
import Logging
import Observability

/// `--log-format` and `--log-level`, shared by every role that logs.
struct LoggingOptions: ParsableArguments {
    @Option(help: "Log line format: json (one object per line, for collectors) or console (for people).")
    var logFormat: LogFormat = .json

    @Option(help: "Lowest level written.")
    var logLevel: Logger.Level = .info

    /// Installs the chosen handlers for the whole process and returns a logger named `label`.
    func bootstrap(label: String) -> Logger {
        LoggingSystem.bootstrap(format: logFormat, level: logLevel)
        return Logger(label: label)
    }

    /// Logging with these options and the process's metrics registry, bootstrapped once for the
    /// whole process; `label` names the returned logger.
    func observability(label: String) -> ProcessObservability {
        ProcessObservability.bootstrap(label: label, format: logFormat, level: logLevel)
    }
}

extension LogFormat: ExpressibleByArgument {}
extension Logger.Level: @retroactive ExpressibleByArgument {}
