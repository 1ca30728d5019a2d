import ArgumentParser
import Netlink
import WireGuard
#if canImport(Glibc)
import Glibc
#endif

/// What a gateway node does when it takes over a big pool: one WireGuard device, N peers with one
/// /32 allowed IP each in one batched configure call, and N /32 routes via the device with the
/// batched route API — in a fresh network namespace that is removed afterwards.
struct WireGuardPeersBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wireguard-peers",
        abstract: "Time configuring N WireGuard peers and N /32 routes on one device in a fresh netns.")

    @Option(help: "Number of peers and routes.")
    var count: Int = 10_000

    @Option(help: "Backend: automatic, kernel or userspace.")
    var backend: BackendChoice = .automatic

    @Option(name: .customLong("wireguard-go"), help: "Userspace implementation (name on PATH or path).")
    var userspaceExecutable: String = "wireguard-go"

    enum BackendChoice: String, ExpressibleByArgument, CaseIterable {
        case automatic, kernel, userspace
        var option: WireGuardOptions.Backend {
            switch self {
            case .automatic: .automatic
            case .kernel: .kernel
            case .userspace: .userspace
            }
        }
    }

    func validate() throws {
        guard (1...16_000_000).contains(count) else { throw ValidationError("--count must be between 1 and 16000000") }
    }

    func run() throws {
        guard getuid() == 0 else { throw ValidationError("needs root (creates a network namespace)") }
        let clock = ContinuousClock()
        let namespace = try NetworkNamespace.create(named: "egw-bench-\(getpid())")
        defer { try? namespace.delete() }
        let options = WireGuardOptions(backend: backend.option, userspaceExecutable: userspaceExecutable)
        let client = try WireGuardClient(namespace: namespace, options: options)
        let links = try NetlinkHandle(namespace: namespace)
        let device = "wgbench\(getpid() % 100_000_000)"

        print("backend: \(client.backendKind), \(namespace), device \(device), \(count) peers")
        let creation = try clock.measure { try client.createDevice(named: device) }
        defer { try? client.deleteDevice(named: device) }
        try links.setLinkUp(device)
        let linkIndex = try links.link(named: device).index
        print("create device: \(ProcessMeasurements.format(creation))")

        // Random 32-byte strings are valid Curve25519 public keys; deriving them from private
        // keys would only add key-generation time that a gateway does not spend.
        var peers: [PeerConfiguration] = []
        var routes: [Route] = []
        let preparation = try clock.measure {
            peers.reserveCapacity(count)
            routes.reserveCapacity(count)
            for index in 0..<count {
                let host = IPNetwork(host: .v4(0x0a00_0000 + UInt32(index) + 1))
                peers.append(PeerConfiguration(publicKey: try PublicKey(bytes: try PresharedKey.generate().bytes),
                                               replaceAllowedIPs: true, allowedIPs: [host]))
                routes.append(Route(destination: host, linkIndex: linkIndex))
            }
        }
        print("prepare \(count) peer configurations and routes: \(ProcessMeasurements.format(preparation)) (not counted)")

        let configure = try clock.measure {
            try client.configure(named: device, DeviceConfiguration(privateKey: try PrivateKey.generate(), listenPort: 51999, peers: peers))
        }
        print("phase 1, configure \(count) peers (one batched call): \(ProcessMeasurements.format(configure))")

        let routing = try clock.measure { try links.replaceRoutes(routes) }
        print("phase 2, replace \(count) /32 routes via \(device) (batched): \(ProcessMeasurements.format(routing))")
        print("phases 1+2: \(ProcessMeasurements.format(configure + routing))")

        var readBack = 0
        let reading = try clock.measure { readBack = try client.device(named: device).peers.count }
        let routeCount = try links.routes(linkIndex: linkIndex).count { $0.destination?.prefixLength == 32 }
        print("check: device reports \(readBack) peers (read in \(ProcessMeasurements.format(reading))), kernel has \(routeCount) /32 routes on \(device)")

        // ru_maxrss survives execve, so under `swift run` it also holds SwiftPM's own peak from
        // before it exec'd this program; VmHWM belongs to this program's address space only.
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let highWater = ProcessMeasurements.peakMemory().map { "\($0 / 1024) MiB" } ?? "unknown"
        print("peak memory, egressgw-bench: VmHWM \(highWater), getrusage ru_maxrss \(usage.ru_maxrss / 1024) MiB")
        if let daemon = daemonProcess(device), let peak = ProcessMeasurements.peakMemory(ofProcess: daemon) {
            print("peak memory, \(userspaceExecutable) daemon serving \(device): VmHWM \(peak / 1024) MiB")
        }
    }

    /// The pid of the userspace daemon serving `device` (command line `<executable> <device>`);
    /// nil for the kernel backend.
    private func daemonProcess(_ device: String) -> String? {
        ProcessMeasurements.processes { $0.count == 2 && $0[1] == device }.first.map { String($0) }
    }
}
