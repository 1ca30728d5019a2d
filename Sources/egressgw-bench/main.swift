import ArgumentParser

/// Benchmarks of the node networking toolkit and the gateway daemon against the real kernel. Not tests: they print
/// figures and assert nothing about time.
struct EgressgwBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "egressgw-bench",
        abstract: "Measure egressgw's node networking operations on this machine (needs root).",
        subcommands: [WireGuardPeersBenchmark.self, GatewayBenchmark.self])
}

// Parsed and run by hand, as in egressgw's main.swift: `main()` called from top-level code picks
// the synchronous overload, which refuses an asynchronous subcommand.
func runAsync<Command: AsyncParsableCommand>(_ command: Command) async throws {
    var command = command
    try await command.run()
}

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
