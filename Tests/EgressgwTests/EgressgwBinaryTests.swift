import Foundation
import TestSupport
import Testing

/// What one run of the built `egressgw` printed.
struct Run {
    let status: Int32
    let stdout: String
    let stderr: String
}

/// Runs the `egressgw` binary built next to this test bundle (or a symlink to it), with exactly the
/// given environment variables, `input` (or nothing) on standard input, and the current PATH unless
/// `environment` sets one.
func run(_ executable: String = Binary.path, _ arguments: [String] = [], environment: [String: String] = [:],
         input: String? = nil) async throws -> Run {
    var variables = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]
    variables.merge(environment) { _, new in new }
    let result = try await ChildProcess.run(executable, arguments, environment: variables,
                                            input: input.map { Data($0.utf8) })
    return Run(status: result.status, stdout: result.standardOutput, stderr: result.standardError)
}

enum Binary {
    /// `.build/<triple>/debug/egressgw`: the test bundle (`/proc/self/exe`) lives in the same directory.
    static let path: String = {
        let bundle = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: bundle).deletingLastPathComponent().appendingPathComponent("egressgw").path
    }()
}

let versionReply = #"{"cniVersion":"1.1.0","supportedVersions":["0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"]}"# + "\n"

@Suite("egressgw binary")
struct EgressgwBinaryTests {
    @Test("the binary exists next to the test bundle")
    func binaryExists() {
        #expect(FileManager.default.isExecutableFile(atPath: Binary.path), "no executable at \(Binary.path)")
    }

    @Test("version prints the four fields")
    func versionText() async throws {
        let result = try await run(Binary.path, ["version"])
        #expect(result.status == 0)
        let fields = Dictionary(uniqueKeysWithValues: result.stdout.split(separator: "\n").compactMap { line in
            line.firstRange(of: ": ").map { (String(line[..<$0.lowerBound]), String(line[$0.upperBound...])) }
        })
        #expect(Set(fields.keys) == ["version", "git commit", "swift compiler", "wireguard backend"])
        #expect(fields["version"] == "0.1.0-dev")
        #expect(fields.values.allSatisfy { !$0.isEmpty })
    }

    @Test("version --output json parses, and the commit is a hash or unknown")
    func versionJSON() async throws {
        let result = try await run(Binary.path, ["version", "--output", "json"])
        #expect(result.status == 0)
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
        let fields = try #require(object as? [String: String])
        #expect(Set(fields.keys) == ["version", "gitCommit", "swiftCompiler", "wireGuardBackend"])
        let commit = try #require(fields["gitCommit"])
        #expect(commit == "unknown" || commit.wholeMatch(of: /[0-9a-f]{7,40}/) != nil, "commit \(commit)")
        #expect(fields["swiftCompiler"]?.first?.isNumber == true)
    }

    @Test("the WireGuard backend follows the kernel module and PATH")
    func wireGuardBackend() async throws {
        // /sys/module/wireguard exists exactly when the kernel module (hence the genl family) is loaded.
        let kernel = FileManager.default.fileExists(atPath: "/sys/module/wireguard")
        let withoutPath = try await run(Binary.path, ["version", "--output", "json"], environment: ["PATH": "/nonexistent"])
        let backend = try #require(try JSONSerialization.jsonObject(with: Data(withoutPath.stdout.utf8)) as? [String: String])
        #expect(backend["wireGuardBackend"] == (kernel ? "kernel" : "none"))

        let directory = try TemporaryDirectory()
        let fake = directory.path + "/wireguard-go"
        try "#!/bin/sh\n".write(toFile: fake, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: fake)
        let withUserspace = try await run(Binary.path, ["version", "--output", "json"], environment: ["PATH": directory.path])
        let found = try #require(try JSONSerialization.jsonObject(with: Data(withUserspace.stdout.utf8)) as? [String: String])
        #expect(found["wireGuardBackend"] == (kernel ? "kernel" : "userspace (wireguard-go)"))
    }

    @Test("CNI_COMMAND=VERSION egressgw cni prints exactly the version reply", arguments: ["cni", "cni-ipam"])
    func cniVersion(subcommand: String) async throws {
        let result = try await run(Binary.path, [subcommand], environment: ["CNI_COMMAND": "VERSION"])
        #expect(result.status == 0)
        #expect(result.stdout == versionReply)
    }

    @Test("symlinks named after the plugins answer VERSION the same")
    func symlinks() async throws {
        let directory = try TemporaryDirectory()
        for name in ["egressgw-cni", "egressgw-cni-ipam", "kube-egress-cni", "kube-egress-cni-ipam"] {
            let link = directory.path + "/" + name
            try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: Binary.path)
            let result = try await run(link, environment: ["CNI_COMMAND": "VERSION"])
            #expect(result.status == 0, "\(name): \(result.stderr)")
            #expect(result.stdout == versionReply, "\(name)")
        }
    }

    @Test("ADD without the CNI variables answers a CNI error object (code 4) on stdout and exits 1")
    func addWithoutVariables() async throws {
        let directory = try TemporaryDirectory()
        let link = directory.path + "/egressgw-cni"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: Binary.path)
        let result = try await run(link, environment: ["CNI_COMMAND": "ADD", "CNI_CONTAINERID": "c0ffee"])
        #expect(result.status == 1)
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
        let fields = try #require(object as? [String: Any])
        #expect(fields["cniVersion"] as? String == "1.1.0")
        #expect(fields["code"] as? Int == 4)
        #expect((fields["msg"] as? String)?.contains("CNI_NETNS") == true)
        #expect(result.stderr.contains("\"containerID\":\"c0ffee\""), "the refusal is logged on stderr")
    }

    @Test("EGRESSGW_CNI_LOG_LEVEL=debug makes the plugin log how long each step of DEL took; by default it does not")
    func stepTimings() async throws {
        let config = #"{"cniVersion":"1.0.0","name":"n","type":"egressgw-cni","managerSocket":"/nonexistent/egw/cni.sock"}"#
        let environment = ["CNI_COMMAND": "DEL", "CNI_CONTAINERID": "c0ffee0123", "CNI_NETNS": "/nonexistent/netns",
                           "CNI_IFNAME": "eth0", "CNI_PATH": "/nonexistent/cni/bin",
                           "CNI_ARGS": "K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0"]
        func steps(_ result: Run) -> [String] {
            result.stderr.split(separator: "\n").compactMap { line in
                let record = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                guard let step = record?["step"] as? String, (record?["ms"] as? String).flatMap(Double.init) != nil else { return nil }
                return step
            }
        }
        let plain = try await run(Binary.path, ["cni"], environment: environment, input: config)
        #expect(plain.status == 0)
        #expect(steps(plain).isEmpty, "\(plain.stderr)")
        let timed = try await run(Binary.path, ["cni"], environment: environment.merging(["EGRESSGW_CNI_LOG_LEVEL": "debug"]) { $1 },
                            input: config)
        #expect(timed.status == 0)
        #expect(steps(timed) == ["leftover temporary link", "delete wg0", "IPAM", "cni-manager nic del"], "\(timed.stderr)")
    }

    @Test("without CNI_COMMAND the plugin prints usage on stderr and exits 0")
    func noCommand() async throws {
        let result = try await run(Binary.path, ["cni"])
        #expect(result.status == 0)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("CNI egressgw-cni plugin version"))
    }

    @Test("an unknown subcommand fails and names the valid ones")
    func unknownSubcommand() async throws {
        let result = try await run(Binary.path, ["gatewy"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("unknown command 'gatewy'"))
        #expect(result.stderr.contains("version, crds, cni, cni-ipam"))
    }
}

/// A uniquely named directory under the system temporary directory, removed when released.
final class TemporaryDirectory {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "egw-cli-\(getpid())-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }
}
