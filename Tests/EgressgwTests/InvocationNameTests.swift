import Testing
@testable import egressgw

@Suite("argv[0] dispatch")
struct InvocationNameTests {
    @Test("argv[0] names map to subcommands, whatever the directory", arguments: [
        (["/opt/cni/bin/egressgw-cni"], ["cni"]),
        (["egressgw-cni-ipam", "--log-level", "debug"], ["cni-ipam", "--log-level", "debug"]),
        (["/usr/lib/cni/kube-egress-cni"], ["cni"]),
        (["./kube-egress-cni-ipam"], ["cni-ipam"]),
        (["/usr/local/bin/egressgw", "version"], ["version"]),
        (["egressgw-cni-extra"], []),
    ])
    func invocationName(commandLine: [String], expected: [String]) {
        #expect(InvocationName.arguments(from: commandLine) == expected)
    }
}
