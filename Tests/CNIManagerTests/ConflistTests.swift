import Foundation
import Kube
import Logging
import Testing
@testable import CNIManager

/// The conflist the manager writes (upstream-cni §3.5, §5.26–31), with our entry.
@Suite("conflist generation and maintenance")
struct ConflistTests {
    static let conflist = ChainedConflist(managerSocket: "/var/run/egressgw/cni.sock",
                                          excludedCIDRs: ["10.1.0.0/16", "1.2.3.4/32"])

    static let mainList = """
        {"cniVersion":"0.3.1","name":"testnet","plugins":[
          {"type":"bridge","bridge":"cni0","isGateway":true,"ipam":{"type":"host-local","subnet":"10.244.0.0/24"}},
          {"type":"portmap","capabilities":{"portMappings":true}}]}
        """

    /// Our entry as Go would print it two levels deep.
    static let entryText = """
            {
              "capabilities": {
                "io.kubernetes.cri.pod-annotations": true
              },
              "excludedCIDRs": [
                "10.1.0.0/16",
                "1.2.3.4/32"
              ],
              "ipam": {
                "type": "egressgw-cni-ipam"
              },
              "managerSocket": "/var/run/egressgw/cni.sock",
              "type": "egressgw-cni"
            }
        """

    @Test("a .conflist: our entry at index 1, keys sorted, two-space indent, no final newline (§5.30)")
    func conflistInsert() throws {
        let text = try Self.conflist.render(mainConfig: Array(Self.mainList.utf8), fileName: "10-test.conflist")
        #expect(text == """
            {
              "cniVersion": "0.3.1",
              "name": "testnet",
              "plugins": [
                {
                  "bridge": "cni0",
                  "ipam": {
                    "subnet": "10.244.0.0/24",
                    "type": "host-local"
                  },
                  "isGateway": true,
                  "type": "bridge"
                },
            \(Self.entryText),
                {
                  "capabilities": {
                    "portMappings": true
                  },
                  "type": "portmap"
                }
              ]
            }
            """)
    }

    @Test("a .conf: name and cniVersion move up, the rest is plugin 0 (§5.30)")
    func confInsert() throws {
        let main = #"{"cniVersion":"1.0.0","name":"azure","type":"azure-vnet","mode":"transparent","note":"<a&b>"}"#
        let text = try Self.conflist.render(mainConfig: Array(main.utf8), fileName: "10-azure.conf")
        #expect(text == """
            {
              "cniVersion": "1.0.0",
              "name": "azure",
              "plugins": [
                {
                  "mode": "transparent",
                  "note": "\\u003ca\\u0026b\\u003e",
                  "type": "azure-vnet"
                },
            \(Self.entryText)
              ]
            }
            """)
    }

    @Test("no exception CIDRs: excludedCIDRs is null, as upstream writes it")
    func nullCIDRs() throws {
        let text = try ChainedConflist(managerSocket: "/s", excludedCIDRs: [])
            .render(mainConfig: Array(Self.mainList.utf8), fileName: "10-test.conflist")
        #expect(text.contains(#""excludedCIDRs": null,"#))
    }

    @Test("the Go version's entry and an old one of ours are replaced by one new entry (migration)")
    func migration() throws {
        let main = """
            {"cniVersion":"1.0.0","name":"n","plugins":[{"type":"bridge"},
             {"type":"Kube-Egress-CNI","socketPath":"localhost:50051","ipam":{"type":"kube-egress-cni-ipam"}},
             {"type":"egressgw-cni","managerSocket":"/old"},{"type":"portmap"}]}
            """
        let text = try Self.conflist.render(mainConfig: Array(main.utf8), fileName: "10-n.conflist")
        let plugins = try #require((try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])?["plugins"] as? [[String: Any]])
        #expect(plugins.map { $0["type"] as? String } == ["bridge", "egressgw-cni", "portmap"])
        #expect(plugins[1]["managerSocket"] as? String == "/var/run/egressgw/cni.sock")
    }

    @Test("main configs that cannot be chained are errors naming the file and field (§5.30)",
          arguments: [
            (#"{"name":"n","plugins":[]}"#, "main CNI config 10-n.conflist: plugins empty"),
            (#"{"name":"n"}"#, "main CNI config 10-n.conflist: plugins missing"),
            (#"{"name":"n","plugins":[{"bridge":"x"}]}"#, "main CNI config 10-n.conflist: plugins[0].type missing"),
            (#"{"name":"n","plugins":{}}"#, "main CNI config 10-n.conflist: plugins not an array"),
          ])
    func invalidMain(main: String, message: String) {
        #expect(throws: ConflistError.self) { try Self.conflist.render(mainConfig: Array(main.utf8), fileName: "10-n.conflist") }
        do {
            _ = try Self.conflist.render(mainConfig: Array(main.utf8), fileName: "10-n.conflist")
        } catch {
            #expect(error.description == message)
        }
        #expect(throws: ConflistError.self) { try Self.conflist.render(mainConfig: Array("{not json".utf8), fileName: "10-n.conflist") }
    }

    @Test("main config: first regular *.conflist/*.conf/*.json by byte order, never ours or a symlink")
    func mainSelection() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let dir = ConflistDirectory(path: directory.path, conflist: Self.conflist)
        #expect(throws: ConflistError.noMainConfig(directory: directory.path)) { try dir.mainConfigName() }
        for name in ["01-EgressGateway.conflist", "05-notes.txt", "20-b.conf", "15-a.json", "30-c.conflist"] {
            try Data("{}".utf8).write(to: URL(fileURLWithPath: directory.path + "/" + name))
        }
        try FileManager.default.createSymbolicLink(atPath: directory.path + "/02-link.conflist",
                                                   withDestinationPath: directory.path + "/30-c.conflist")
        #expect(try dir.mainConfigName() == "15-a.json")
    }

    @Test("reconcile writes once; an unchanged main config writes nothing; a broken one leaves our file")
    func reconcile() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let dir = ConflistDirectory(path: directory.path, conflist: Self.conflist)
        try Data(Self.mainList.utf8).write(to: URL(fileURLWithPath: directory.path + "/10-test.conflist"))
        #expect(try dir.reconcile() == .written(mainConfig: "10-test.conflist"))
        let first = try String(contentsOfFile: dir.filePath, encoding: .utf8)
        let mode = try FileManager.default.attributesOfItem(atPath: dir.filePath)[.posixPermissions] as? Int
        #expect(mode == 0o644)
        #expect(try dir.reconcile() == .unchanged)
        #expect(!FileManager.default.fileExists(atPath: dir.filePath + ".tmp"))

        try Data("{broken".utf8).write(to: URL(fileURLWithPath: directory.path + "/10-test.conflist"))
        #expect(throws: ConflistError.self) { try dir.reconcile() }
        #expect(try String(contentsOfFile: dir.filePath, encoding: .utf8) == first)
    }

    @Test("the running manager writes the file, repairs it when deleted or edited, follows the main config")
    func watchAndRepair() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let dir = ConflistDirectory(path: directory.path, conflist: Self.conflist)
        let manager = ConflistManager(directory: dir, uninstall: nil, logger: quietLogger)
        let task = Task { try await manager.run() }
        defer { task.cancel() }
        // Written as soon as a main config appears.
        try Data(Self.mainList.utf8).write(to: URL(fileURLWithPath: directory.path + "/10-test.conflist"))
        try await withTestTimeout(.seconds(20)) {
            try await eventually { dir.isInstalled }
            let expected = try String(contentsOfFile: dir.filePath, encoding: .utf8)
            try FileManager.default.removeItem(atPath: dir.filePath)
            try await eventually { (try? String(contentsOfFile: dir.filePath, encoding: .utf8)) == expected }
            try Data("{}".utf8).write(to: URL(fileURLWithPath: dir.filePath))
            try await eventually { (try? String(contentsOfFile: dir.filePath, encoding: .utf8)) == expected }
            let changed = Self.mainList.replacingOccurrences(of: "testnet", with: "renamed")
            try Data(changed.utf8).write(to: URL(fileURLWithPath: directory.path + "/10-test.conflist"))
            try await eventually { (try? String(contentsOfFile: dir.filePath, encoding: .utf8))?.contains("renamed") == true }
        }
    }
}
