import ArgumentParser

/// The root command: dispatches to one role per subcommand. Roles are added here as they land.
struct Egressgw: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "egressgw",
        abstract: "Fixed egress IPs for Kubernetes pods on Azure: every role in one binary.",
        discussion: """
            Invoked through a symlink named egressgw-cni or egressgw-cni-ipam (or the upstream names \
            kube-egress-cni, kube-egress-cni-ipam), the binary runs the matching CNI plugin.
            """,
        version: BuildInfo.version,
        subcommands: [
            VersionCommand.self, CRDsCommand.self, CNICommand.self, CNIIPAMCommand.self, CNIManagerCommand.self,
            GatewayCommand.self, OperatorCommand.self,
        ]
    )
}

extension Egressgw {
    /// Refuses a first argument that is neither an option nor a subcommand with a message that
    /// lists the roles; the parser's own ("Unexpected argument") does not say what would be valid.
    static func validateSubcommand(in arguments: [String]) throws {
        guard let first = arguments.first, !first.hasPrefix("-") else { return }
        let names = configuration.subcommands.map { $0._commandName }
        let aliases = configuration.subcommands.flatMap { $0.configuration.aliases }
        guard !names.contains(first), !aliases.contains(first), first != "help" else { return }
        throw ValidationError("unknown command '\(first)'; commands: \(names.joined(separator: ", "))")
    }
}
