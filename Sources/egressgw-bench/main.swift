import ArgumentParser
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Benchmarks of egressgw's building blocks on this machine. Not tests: they print figures and assert
/// nothing about time.
struct EgressgwBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "egressgw-bench",
        abstract: "Measure egressgw's node networking, gateway daemon, CNI plugin, Kubernetes client and operator on this machine.",
        subcommands: [WireGuardPeersBenchmark.self, GatewayBenchmark.self, KubeInformerBenchmark.self, CNIBenchmark.self,
                      OperatorBenchmark.self])
}

// As in egressgw's main: `AsyncParsableCommand.main()` refuses to run on Linux without an availability
// annotation, and `run()` on an existential picks the synchronous overload; a generic parameter picks the async one.
func runAsync<Command: AsyncParsableCommand>(_ command: Command) async throws {
    var command = command
    try await command.run()
}

// Line by line, so that progress shows when the output goes to a pipe or a file.
setvbuf(stdout, nil, _IOLBF, 0)

do {
    var command = try EgressgwBench.parseAsRoot()
    if let asyncCommand = command as? any AsyncParsableCommand {
        try await runAsync(asyncCommand)
    } else {
        try command.run()
    }
} catch {
    EgressgwBench.exit(withError: error)
}
