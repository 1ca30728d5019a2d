import EgressGatewayAPI
import Foundation
import Kube
import Synchronization
import Testing
@testable import CNIManager

@Suite("uninstall ConfigMap, node taint, plugin installation")
struct NodeAndUninstallTests {
    @Test("uninstall: no ConfigMap keeps the file, \"true\" and a missing key remove it, \"false\" keeps it (§5.29)")
    func uninstall() async throws {
        try await ManagerWorld.run { world in
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            let dir = ConflistDirectory(path: directory.path, conflist: ChainedConflist(managerSocket: "/s", excludedCIDRs: []))
            let policy = UninstallPolicy(client: world.client, namespace: "testns")
            let manager = ConflistManager(directory: dir, uninstall: policy, logger: quietLogger)
            let configMaps = world.client.resource(ConfigMap.self, namespace: "testns")
            func shutDown(with data: [String: String]?) async throws -> Bool {
                try Data("{}".utf8).write(to: URL(fileURLWithPath: dir.filePath))
                _ = try? await configMaps.delete("cni-uninstall")
                if let data {
                    _ = try await configMaps.create(ConfigMap(metadata: ObjectMeta(name: "cni-uninstall", namespace: "testns"), data: data))
                }
                await manager.shutDown()
                return dir.isInstalled
            }
            #expect(try await shutDown(with: nil))
            #expect(try await shutDown(with: ["uninstall": "false"]))
            #expect(try await !shutDown(with: ["uninstall": "true"]))
            #expect(try await !shutDown(with: [:]))
        }
    }

    @Test("the cni-not-ready taint goes once the conflist is in place; other taints stay")
    func taint() async throws {
        try await ManagerWorld.run { world in
            let nodes = world.client.resource(Node.self)
            _ = try await nodes.create(Node(metadata: ObjectMeta(name: "node-a"), spec: NodeSpec(taints: [
                Taint(key: NodeTaintRemover.taintKey, value: "true", effect: "NoSchedule"),
                Taint(key: "other", effect: "NoExecute"),
            ])))
            let ready = Mutex(false)
            let remover = NodeTaintRemover(client: world.client, nodeName: "node-a", logger: quietLogger) {
                ready.withLock { $0 }
            }
            await remover.reconcile()
            #expect(try await nodes.get("node-a").spec.taints.count == 2)
            ready.withLock { $0 = true }
            await remover.reconcile()
            #expect(try await nodes.get("node-a").spec.taints.map(\.key) == ["other"])
        }
    }

    @Test("install: bundle in a content-named directory, symlinks swapped by rename, old bundle removed")
    func install() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let bundle = directory.path + "/bundle", bin = directory.path + "/bin"
        try FileManager.default.createDirectory(atPath: bundle + "/lib", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        try Data("#!/bin/sh\necho one\n".utf8).write(to: URL(fileURLWithPath: bundle + "/egressgw"))
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: bundle + "/egressgw")
        try Data("lib".utf8).write(to: URL(fileURLWithPath: bundle + "/lib/libx.so.1"))

        let installer = PluginInstaller(bundle: bundle, binDirectory: bin, upstreamAliases: true)
        let first = try installer.install()
        #expect(FileManager.default.isExecutableFile(atPath: first))
        #expect(FileManager.default.fileExists(atPath: (first as NSString).deletingLastPathComponent + "/lib/libx.so.1"))
        for name in PluginInstaller.pluginNames + PluginInstaller.upstreamNames {
            #expect(try FileManager.default.destinationOfSymbolicLink(atPath: bin + "/" + name) == first)
        }
        #expect(try installer.install() == first)

        try Data("#!/bin/sh\necho two\n".utf8).write(to: URL(fileURLWithPath: bundle + "/egressgw"))
        let second = try installer.install()
        #expect(second != first)
        #expect(!FileManager.default.fileExists(atPath: first))
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: bin + "/egressgw-cni") == second)
        #expect(try FileManager.default.contentsOfDirectory(atPath: bin).sorted()
                == ["egressgw-bundle", "egressgw-cni", "egressgw-cni-ipam", "kube-egress-cni", "kube-egress-cni-ipam"])
    }
}
