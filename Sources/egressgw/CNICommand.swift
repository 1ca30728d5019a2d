import ArgumentParser
import CNIManager
import CNIPlugin
import Logging
import Observability
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `egressgw cni` (or the `egressgw-cni` symlink): the chained CNI plugin a container runtime runs
/// after the cluster's main CNI to put a pod's egress traffic into the WireGuard tunnel.
struct CNICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cni",
        abstract: "The chained CNI plugin (executed by the container runtime as egressgw-cni).",
        discussion: """
            Reads CNI_COMMAND and the other CNI_* variables; the network config comes on stdin. \
            \(logLevelVariable)=debug logs how long each step of ADD and DEL took.
            """
    )

    /// The log level when the runtime runs the plugin: a runtime passes no arguments but hands its
    /// own environment on, so this is how a node turns on the step timings.
    static let logLevelVariable = "EGRESSGW_CNI_LOG_LEVEL"

    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        try await Self.answerRuntime(format: logging.logFormat, level: logging.logLevel)
    }

    /// Answers the runtime; `EGRESSGW_CNI_LOG_LEVEL`, when set, overrides `level`.
    static func answerRuntime(format: LogFormat = LoggingOptions.defaultFormat,
                              level: Logger.Level = LoggingOptions.defaultLevel) async throws {
        let environment = ProcessInfo.processInfo.environment
        let level = environment[logLevelVariable].flatMap(Logger.Level.init(rawValue:)) ?? level
        let logger = ProcessObservability.bootstrap(label: "egressgw.cni", format: format, level: level).logger
        let plugin = EgressPlugin(logger: logger) { config in
            do throws(EgressManagerError) {
                return try ManagerSocketClient(socketPath: config.managerSocket)
            } catch {
                return UnavailableEgressManager(socket: config.managerSocket, reason: "\(error)")
            }
        }
        try await CNIInvocation(plugin: "egressgw-cni", version: BuildInfo.version, handler: plugin, logger: logger)
            .answer(environment: environment)
    }
}
