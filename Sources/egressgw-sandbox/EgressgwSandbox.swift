import ArgumentParser

/// The developer tool: runs the emulators (and later the whole netns sandbox) outside the test suite.
@main
struct EgressgwSandbox: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "egressgw-sandbox",
        abstract: "Developer sandbox for egressgw: the whole system in network namespaces on this machine.",
        subcommands: [
            UpCommand.self, DownCommand.self, StatusCommand.self, DemoCommand.self, ServeCommand.self,
            APIServerCommand.self, ARMCommand.self, IMDSCommand.self,
        ])
}
