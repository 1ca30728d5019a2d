import ArgumentParser

/// The developer tool: runs the emulators (and later the whole netns sandbox) outside the test suite.
@main
struct EgressgwSandbox: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "egressgw-sandbox",
        abstract: "Developer sandbox for egressgw: emulated Kubernetes API server and more.",
        subcommands: [APIServerCommand.self, ARMCommand.self, IMDSCommand.self])
}
