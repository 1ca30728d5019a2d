/// The names this binary answers to besides `egressgw`, and the subcommand each stands for.
///
/// A CNI conflist's `type` field names the executable the runtime runs from its plugin directory;
/// `/opt/cni/bin/egressgw-cni` is a symlink to `egressgw`. The upstream names are aliases too, so a
/// conflist written for kube-egress-gateway works after its binaries are replaced by symlinks.
enum InvocationName {
    static let subcommands: [String: String] = [
        "egressgw-cni": "cni",
        "egressgw-cni-ipam": "cni-ipam",
        "kube-egress-cni": "cni",
        "kube-egress-cni-ipam": "cni-ipam",
        "kube-egress-gateway-daemon": "gateway",
    ]

    /// The arguments for the parser (without argv[0]): the subcommand implied by argv[0]'s file
    /// name, if any, followed by the rest of the command line.
    static func arguments(from commandLine: [String]) -> [String] {
        guard let programPath = commandLine.first else { return [] }
        let rest = Array(commandLine.dropFirst())
        let fileName = programPath.split(separator: "/", omittingEmptySubsequences: true).last.map(String.init) ?? ""
        guard let subcommand = subcommands[fileName] else { return rest }
        return [subcommand] + rest
    }
}
