import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `egressgw version`: what this binary is and what it found on this host.
struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version",
        abstract: "Print the version, git commit, Swift compiler and the WireGuard backend of this host."
    )

    enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    @Option(help: "text (one field per line) or json (one object).")
    var output: OutputFormat = .text

    /// The four fields, with the JSON keys of `--output json`.
    struct Report: Encodable, Equatable {
        let version: String
        let gitCommit: String
        let swiftCompiler: String
        let wireGuardBackend: String
    }

    func run() throws {
        let report = Report(version: BuildInfo.version, gitCommit: BuildInfo.gitCommit,
                            swiftCompiler: BuildInfo.swiftCompiler, wireGuardBackend: detectWireGuardBackend())
        switch output {
        case .text:
            StandardStream.output.write("""
                version: \(report.version)
                git commit: \(report.gitCommit)
                swift compiler: \(report.swiftCompiler)
                wireguard backend: \(report.wireGuardBackend)

                """)
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            // Four strings always encode.
            let data = (try? encoder.encode(report)) ?? Data("{}".utf8)
            StandardStream.output.write(String(decoding: data, as: UTF8.self) + "\n")
        }
    }
}
