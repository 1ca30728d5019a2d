import Netlink
import Testing
@testable import WireGuard

@Suite("WireGuard devices, userspace backend (root)",
       .enabled(if: Host.isRoot, "needs root"),
       .enabled(if: Host.hasWireGuardGo, "wireguard-go is not installed"))
struct UserspaceDeviceTests {
    static let options = WireGuardOptions(backend: .userspace)

    @Test func tunnelBetweenTwoNamespaces() throws { try DeviceScenarios.tunnel(Self.options) }
    @Test func moveAndRenameToWg0() throws { try DeviceScenarios.moveAndRename(Self.options) }
    @Test func peerChanges() throws { try DeviceScenarios.peerChanges(Self.options) }
}

@Suite("WireGuard devices, kernel backend (root)",
       .enabled(if: Host.isRoot, "needs root"),
       .enabled(if: Host.hasKernelWireGuard, "this kernel has no WireGuard (generic netlink family \"wireguard\" not found): kernel backend skipped"))
struct KernelDeviceTests {
    static let options = WireGuardOptions(backend: .kernel)

    @Test func tunnelBetweenTwoNamespaces() throws { try DeviceScenarios.tunnel(Self.options) }
    @Test func moveAndRenameToWg0() throws { try DeviceScenarios.moveAndRename(Self.options) }
    @Test func peerChanges() throws { try DeviceScenarios.peerChanges(Self.options) }
}
