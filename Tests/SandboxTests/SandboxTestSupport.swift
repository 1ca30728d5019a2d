import Foundation
import Netlink
import Testing
@testable import Sandbox

enum SandboxTestSupport {
    static let isRoot = geteuid() == 0
    static let hasKubectl = ["/usr/bin/kubectl", "/usr/local/bin/kubectl"].contains { FileManager.default.isExecutableFile(atPath: $0) }
    /// The checkout these tests belong to (deploy/, docs/samples).
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let rootMessage: Comment = "needs root (network namespaces, links, iptables): run the tests as root"

    /// A layout whose names no user run (`egsb-…`) and no other test share; no host link, so tests
    /// can run next to a user's sandbox.
    static func layout(workers: Int, gateways: Int) throws -> SandboxLayout {
        let id = String(UInt32.random(in: 0..<0xffffff), radix: 16)
        return try SandboxLayout(runID: id, namePrefix: "egst", workers: workers, gateways: gateways, hostControlLink: false)
    }

    /// Builds a topology, runs `body`, and removes everything, checking that nothing is left.
    static func withTopology<T>(workers: Int, gateways: Int, _ body: (SandboxLayout) throws -> T) throws -> T {
        let layout = try layout(workers: workers, gateways: gateways)
        try Topology.create(layout)
        defer {
            #expect(Topology.destroy(layout).isEmpty)
            #expect(Topology.leftovers(matching: layout.prefix + "-", hostLinks: false).isEmpty)
        }
        return try body(layout)
    }

    static func withTopology<T>(workers: Int, gateways: Int, _ body: (SandboxLayout) async throws -> T) async throws -> T {
        let layout = try layout(workers: workers, gateways: gateways)
        try Topology.create(layout)
        defer {
            #expect(Topology.destroy(layout).isEmpty)
            #expect(Topology.leftovers(matching: layout.prefix + "-", hostLinks: false).isEmpty)
        }
        return try await body(layout)
    }
}

extension SandboxTestSupport {
    /// Polls `condition` until it holds or `seconds` pass; returns whether it held. A deadline for
    /// waiting on probes and processes, not a timing assertion.
    static func eventually(seconds: Int = 20, _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(200))
        }
        return try await condition()
    }
}
