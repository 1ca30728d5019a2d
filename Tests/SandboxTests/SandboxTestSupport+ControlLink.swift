import Foundation
import Netlink
import Testing
@testable import Sandbox

extension SandboxTestSupport {
    /// Whether the host has no route overlapping the sandbox VNet (a user's running sandbox has one), so a test
    /// topology may connect the host to its fabric.
    static let hostVNetIsFree: Bool = {
        guard isRoot, let routes = try? NetlinkHandle().routes(family: .ipv4) else { return false }
        return !routes.contains { route in
            guard let destination = route.destination else { return false }
            return destination.contains(SandboxLayout.vnet.address) || SandboxLayout.vnet.contains(destination.address)
        }
    }()
    static let hostVNetMessage: Comment = "needs root and a host without routes into 10.224.0.0/16 (is a sandbox up?)"

    /// Like ``withTopology(workers:gateways:_:)``, with the host's control link (the control address is where
    /// the emulators listen). Only one such topology can exist at a time; tests in this process take turns.
    static func withControlLinkTopology<T>(workers: Int, gateways: Int, _ body: (SandboxLayout) async throws -> T) async throws -> T {
        await ControlLinkTurn.shared.acquire()
        defer { Task { await ControlLinkTurn.shared.release() } }
        let id = String(UInt32.random(in: 0..<0xffffff), radix: 16)
        let layout = try SandboxLayout(runID: id, namePrefix: "egst", workers: workers, gateways: gateways, hostControlLink: true)
        try Topology.create(layout)
        defer {
            #expect(Topology.destroy(layout).isEmpty)
            #expect(Topology.leftovers(matching: layout.prefix + "-").isEmpty)
        }
        return try await body(layout)
    }
}

/// Serializes the tests that need the host's control link.
actor ControlLinkTurn {
    static let shared = ControlLinkTurn()
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func acquire() async {
        guard busy else { busy = true; return }
        await withCheckedContinuation { waiting.append($0) }
    }

    func release() {
        guard !waiting.isEmpty else { busy = false; return }
        waiting.removeFirst().resume()
    }
}
