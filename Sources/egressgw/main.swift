import ArgumentParser

// The container runtime executes the CNI plugins by file name, so the role can come from argv[0]
// (a symlink to this binary) as well as from a subcommand; rewrite before the parser sees it.
let arguments = OperatorCommand.goStyleBooleans(InvocationName.arguments(from: CommandLine.arguments))

// Parsed and run here rather than through `Egressgw.main(_:)`: for that call, and for `run()` on an
// `any AsyncParsableCommand`, the compiler picks ParsableCommand's synchronous overload, which only
// prints help. Calling `run()` on a generic parameter selects the asynchronous one.
func runAsync<Command: AsyncParsableCommand>(_ command: Command) async throws {
    var command = command
    try await command.run()
}

do {
    switch arguments {
    // A runtime runs a CNI plugin by file name and without arguments, once per pod and command,
    // so the plugin's start-up is part of every pod's start. Those calls skip the parser: its
    // reflection over the command types was a fifth of the CPU of a release build's VERSION call.
    case ["cni"]:
        try await CNICommand.answerRuntime()
    case ["cni-ipam"]:
        try await CNIIPAMCommand.answerRuntime()
    default:
        try Egressgw.validateSubcommand(in: arguments)
        var command = try await Egressgw.asyncParseAsRoot(arguments)
        if let asyncCommand = command as? any AsyncParsableCommand {
            try await runAsync(asyncCommand)
        } else {
            try command.run()
        }
    }
} catch {
    Egressgw.exit(withError: error)
}
