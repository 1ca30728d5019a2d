import ArgumentParser
import CNIPlugin
import Logging
import Observability
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `egressgw cni-ipam` (or the `egressgw-cni-ipam` symlink): the IPAM plugin the CNI plugin
/// delegates to; it reports the addresses the pod's eth0 already has and allocates nothing.
struct CNIIPAMCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cni-ipam",
        abstract: "The CNI IPAM plugin (executed by egressgw-cni as egressgw-cni-ipam).",
        discussion: "Reads CNI_COMMAND and the other CNI_* variables; the network config comes on stdin."
    )

    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        try await Self.answerRuntime(format: logging.logFormat, level: logging.logLevel)
    }

    static func answerRuntime(format: LogFormat = LoggingOptions.defaultFormat,
                              level: Logger.Level = LoggingOptions.defaultLevel) async throws {
        let logger = ProcessObservability.bootstrap(label: "egressgw.cni-ipam", format: format, level: level).logger
        try await CNIInvocation(plugin: "egressgw-cni-ipam", version: BuildInfo.version, handler: EgressIPAM(), logger: logger)
            .answer(environment: ProcessInfo.processInfo.environment)
    }
}
