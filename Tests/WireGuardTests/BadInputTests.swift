import Netlink
#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import WireGuard

@Suite("WireGuard bad input and failures (root)", .enabled(if: Host.isRoot, "needs root"))
struct BadInputTests {
    /// Only `lo` may remain after a failed creation.
    static func expectNoLinks(_ scratch: ScratchNamespace, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(try scratch.links.links().map(\.name) == ["lo"], sourceLocation: sourceLocation)
        let independent = try scratch.run("ip", ["-o", "link", "show"]).stdout
        #expect(independent.split(separator: "\n").count == 1, "ip link shows \(independent)", sourceLocation: sourceLocation)
    }

    @Test func missingUserspaceImplementation() throws {
        let scratch = try ScratchNamespace("nogo")
        defer { scratch.remove() }
        let options = WireGuardOptions(backend: .userspace, userspaceExecutable: "/nonexistent/wireguard-go")
        let client = try WireGuardClient(namespace: scratch.namespace, options: options)
        let name = Host.deviceName()
        #expect(throws: WireGuardError.userspaceImplementationNotFound(device: name, executable: "/nonexistent/wireguard-go")) {
            try client.createDevice(named: name)
        }
        let message = "\(WireGuardError.userspaceImplementationNotFound(device: name, executable: "/nonexistent/wireguard-go"))"
        #expect(message.contains(name) && message.contains("/nonexistent/wireguard-go"))
        try Self.expectNoLinks(scratch)

        let byName = try WireGuardClient(namespace: scratch.namespace,
                                         options: WireGuardOptions(backend: .userspace, userspaceExecutable: "no-such-wireguard-impl"))
        #expect(throws: WireGuardError.userspaceImplementationNotFound(device: name, executable: "no-such-wireguard-impl")) {
            try byName.createDevice(named: name)
        }
        try Self.expectNoLinks(scratch)
    }

    @Test func failingImplementationLeavesNothing() throws {
        let scratch = try ScratchNamespace("fail")
        defer { scratch.remove() }
        let name = Host.deviceName()
        let failing = try WireGuardClient(namespace: scratch.namespace,
                                          options: WireGuardOptions(backend: .userspace, userspaceExecutable: "/bin/false"))
        #expect {
            try failing.createDevice(named: name)
        } throws: { error in
            guard case .userspaceStartFailed(let device, let executable, let detail)? = error as? WireGuardError else { return false }
            return device == name && executable == "/bin/false" && detail.contains("exited 1")
        }
        try Self.expectNoLinks(scratch)

        // Exits 0 but never makes a socket: bounded wait, then a timeout naming the socket.
        let silent = try WireGuardClient(namespace: scratch.namespace,
                                         options: WireGuardOptions(backend: .userspace, userspaceExecutable: "/bin/true",
                                                                   creationTimeout: .milliseconds(200)))
        #expect(throws: WireGuardError.socketTimeout(device: name, path: "/var/run/wireguard/\(name).sock", waitedMilliseconds: 200)) {
            try silent.createDevice(named: name)
        }
        try Self.expectNoLinks(scratch)
    }

    @Test(.enabled(if: Host.hasWireGuardGo, "wireguard-go is not installed"))
    func userspaceErrorsAreTyped() throws {
        let scratch = try ScratchNamespace("errs")
        defer { scratch.remove() }
        let client = try WireGuardClient(namespace: scratch.namespace, options: WireGuardOptions(backend: .userspace))
        let first = Host.deviceName(), second = Host.deviceName()
        let absent = WireGuardError.deviceNotFound(device: "wgnothere", namespace: scratch.namespace.description)
        #expect(throws: absent) { try client.device(named: "wgnothere") }
        #expect(throws: absent) { try client.configure(named: "wgnothere", DeviceConfiguration(listenPort: 1)) }
        #expect(throws: absent) { try client.deleteDevice(named: "wgnothere") }
        // An interface that exists but is not a WireGuard device is not one either.
        #expect(throws: WireGuardError.deviceNotFound(device: "lo", namespace: scratch.namespace.description)) {
            try client.deleteDevice(named: "lo")
        }
        #expect(throws: WireGuardError.invalidDeviceName("wg-name-far-too-long", reason: "it is 20 bytes; at most 15 are allowed")) {
            try client.createDevice(named: "wg-name-far-too-long")
        }
        #expect(throws: WireGuardError.self) { try client.createDevice(named: "../etc") }

        try client.createDevice(named: first)
        defer { try? client.deleteDevice(named: first) }
        try client.createDevice(named: second)
        defer { try? client.deleteDevice(named: second) }
        #expect(throws: NetlinkError.self) { try client.createDevice(named: first) }
        try scratch.links.setLinkUp(first)
        try scratch.links.setLinkUp(second)
        // Two devices cannot share a port: the implementation answers errno=98 (EADDRINUSE). It
        // binds only while it considers the device up, which it learns asynchronously; a random
        // port appearing shows that it has.
        for device in [first, second] {
            var polls = 0
            while try client.device(named: device).listenPort == 0, polls < 400 { polls += 1; usleep(5_000) }
        }
        try client.configure(named: first, DeviceConfiguration(listenPort: 45000))
        #expect(throws: WireGuardError.uapiRefused(device: second, operation: "configure", errno: 98)) {
            try client.configure(named: second, DeviceConfiguration(listenPort: 45000))
        }
        try client.deleteDevice(named: first)
        try client.deleteDevice(named: second)
        try Self.expectNoLinks(scratch)
        #expect(try noUserspaceProcess(for: first) && noUserspaceProcess(for: second))
    }

    @Test func forcedKernelBackendWithoutKernelSupportIsATypedError() throws {
        guard !Host.hasKernelWireGuard else { return }
        let scratch = try ScratchNamespace("nokmod")
        defer { scratch.remove() }
        #expect {
            try WireGuardClient(namespace: scratch.namespace, options: WireGuardOptions(backend: .kernel))
        } throws: { error in
            guard case .backendUnavailable(let reason)? = error as? WireGuardError else { return false }
            return reason.contains("kernel")
        }
        #expect {
            try WireGuardClient(namespace: scratch.namespace, options: WireGuardOptions(userspaceExecutable: "/nonexistent/wg-impl"))
        } throws: { error in
            guard case .backendUnavailable(let reason)? = error as? WireGuardError else { return false }
            return reason.contains("/nonexistent/wg-impl")
        }
    }
}

@Suite("WireGuard backend detection")
struct BackendDetectionTests {
    @Test func summaryNamesTheBackend() {
        let summary = BackendDetection.summary()
        if Host.hasKernelWireGuard {
            #expect(summary == "kernel")
        } else if Host.hasWireGuardGo {
            #expect(summary == "userspace (wireguard-go)")
        } else {
            #expect(summary == "none")
        }
        #expect(BackendDetection.summary(options: WireGuardOptions(userspaceExecutable: "/nonexistent/x")) == (Host.hasKernelWireGuard ? "kernel" : "none"))
        #expect(WireGuardBackendKind.userspace(executable: "/usr/bin/boringtun-cli").description == "userspace (boringtun-cli)")
    }
}
