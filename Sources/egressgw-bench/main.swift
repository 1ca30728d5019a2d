import ArgumentParser

/// Benchmarks of the node networking toolkit and the gateway daemon against the real kernel. Not tests: they print
/// figures and assert nothing about time.
struct EgressgwBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "egressgw-bench",
        abstract: "Measure egressgw's node networking operations on this machine (needs root).",
        subcommands: [WireGuardPeersBenchmark.self, GatewayBenchmark.self])
}

await EgressgwBench.main()
