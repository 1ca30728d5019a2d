import Foundation
import Kube
@testable import KubeEmulator
import Testing

/// The flows of the issue's acceptance list, driven with the real kubectl.
@Suite(.enabled(if: Kubectl.isInstalled, "kubectl is not installed at /usr/bin/kubectl"))
struct KubectlAcceptanceTests {
    static let widgetCRD = """
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata:
          name: widgets.example.com
        spec:
          group: example.com
          scope: Namespaced
          names: {plural: widgets, singular: widget, kind: Widget, shortNames: [wd]}
          versions:
          - name: v1
            served: true
            storage: true
            subresources: {status: {}}
            additionalPrinterColumns:
            - {name: Size, type: integer, jsonPath: .spec.size}
            - {name: Color, type: string, jsonPath: .spec.color}
            - {name: Phase, type: string, jsonPath: .status.phase, priority: 1}
            - {name: Age, type: date, jsonPath: .metadata.creationTimestamp}
            schema:
              openAPIV3Schema:
                type: object
                properties:
                  spec:
                    type: object
                    required: [size]
                    properties:
                      size: {type: integer, minimum: 1, maximum: 10}
                      color: {type: string, default: red, enum: [red, green, blue]}
                  status:
                    type: object
                    properties:
                      phase: {type: string}
        """

    static let namespaces = """
        apiVersion: v1
        kind: Namespace
        metadata:
          name: team-a
        ---
        apiVersion: v1
        kind: Namespace
        metadata:
          name: team-b
        """

    static func widget(_ name: String, namespace: String, size: Int, labels: String = "{}") -> String {
        """
        apiVersion: example.com/v1
        kind: Widget
        metadata: {name: \(name), namespace: \(namespace), labels: \(labels)}
        spec: {size: \(size)}
        """
    }

    /// Runs `body` with an emulator and kubectl configured for it; the Widget CRD and two namespaces exist.
    private func withCluster(_ body: @Sendable (Harness, Kubectl) async throws -> Void) async throws {
        try await Harness.with { h in
            let kubectl = try Kubectl(server: h.server)
            defer { kubectl.remove() }
            let crd = try kubectl.file("crd.yaml", Self.widgetCRD)
            let namespaces = try kubectl.file("namespaces.yaml", Self.namespaces)
            let created = try await kubectl.run("create", "-f", crd, "-f", namespaces)
            #expect(created.status == 0, "\(created)")
            #expect(created.output.contains("customresourcedefinition.apiextensions.k8s.io/widgets.example.com created"))
            #expect(created.output.contains("namespace/team-a created"))
            try await body(h, kubectl)
        }
    }

    @Test func createFromFilesAndGetInEveryForm() async throws {
        try await withCluster { h, kubectl in
            let widgets = try kubectl.file("widgets.yaml", [
                Self.widget("w1", namespace: "team-a", size: 1, labels: "{app: web}"),
                Self.widget("w2", namespace: "team-b", size: 2, labels: "{app: db}"),
                Self.widget("w3", namespace: "team-b", size: 3, labels: "{app: web}"),
            ].joined(separator: "\n---\n"))
            let created = try await kubectl.run("create", "-f", widgets)
            #expect(created.status == 0, "\(created)")

            let all = try await kubectl.run("get", "widgets", "-A")
            #expect(all.status == 0, "\(all)")
            let lines = all.output.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
            #expect(lines.first == ["NAMESPACE", "NAME", "SIZE", "COLOR", "AGE"])
            #expect(lines.dropFirst().map { Array($0.prefix(4)) } == [
                ["team-a", "w1", "1", "red"], ["team-b", "w2", "2", "red"], ["team-b", "w3", "3", "red"],
            ])

            let wide = try await kubectl.run("get", "wd", "-n", "team-b", "-o", "wide")
            #expect(wide.output.split(separator: "\n").first?.split(separator: " ").map(String.init)
                == ["NAME", "SIZE", "COLOR", "PHASE", "AGE"], "\(wide)")

            let selected = try await kubectl.run("get", "widgets", "-A", "-l", "app=web", "-o", "name")
            #expect(selected.output == "widget.example.com/w1\nwidget.example.com/w3\n", "\(selected)")
            let setBased = try await kubectl.run("get", "widgets", "-A", "-l", "app notin (web)", "-o", "name")
            #expect(setBased.output == "widget.example.com/w2\n", "\(setBased)")

            let json = try await kubectl.run("get", "widgets", "-n", "team-b", "-o", "json")
            let list = try JSONValue(json: Data(json.output.utf8))
            #expect(list.names == ["w2", "w3"])
            #expect(list["items"]?.arrayValue?.first?.at("spec.color") == "red")

            let unknown = try kubectl.file("unknown.yaml", """
                apiVersion: example.com/v1
                kind: Widget
                metadata: {name: w9, namespace: team-a}
                spec: {size: 1, bogus: true}
                """)
            let rejected = try await kubectl.run("create", "-f", unknown)
            #expect(rejected.status != 0)
            #expect(rejected.error.contains("strict decoding error: unknown field \"spec.bogus\""), "\(rejected)")

            let namespaces = try await kubectl.run("get", "namespaces", "-o", "json")
            let names = try JSONValue(json: Data(namespaces.output.utf8)).names
            #expect(names.contains("team-a") && names.contains("team-b") && names.contains("default"))
        }
    }

    @Test func projectCRDsFromTheRepository() async throws {
        let crds = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("deploy/crds")
        try #require(FileManager.default.fileExists(atPath: crds.path), "deploy/crds is missing")
        try await Harness.with { h in
            let kubectl = try Kubectl(server: h.server)
            defer { kubectl.remove() }
            let files = try FileManager.default.contentsOfDirectory(atPath: crds.path)
                .filter { $0.hasSuffix(".yaml") && $0 != "kustomization.yaml" }.sorted()
            #expect(!files.isEmpty)
            for file in files {
                let result = try await kubectl.run("create", "-f", crds.appendingPathComponent(file).path)
                #expect(result.status == 0, "\(file): \(result)")
            }
            let listed = try await kubectl.run("get", "crd", "-o", "name")
            #expect(listed.output.split(separator: "\n").count == files.count, "\(listed)")
            let established = try await kubectl.run("wait", "--for=condition=Established", "crd", "--all", "--timeout=20s")
            #expect(established.status == 0, "\(established)")
        }
    }

    @Test func watchSeesAddedModifiedDeleted() async throws {
        try await withCluster { h, kubectl in
            let watch = try kubectl.start("get", "widgets", "-n", "team-a", "-w", "--output-watch-events")
            defer { watch.stop() }
            let first = try kubectl.file("w.yaml", Self.widget("watched", namespace: "team-a", size: 4))
            #expect(try await kubectl.run("create", "-f", first).status == 0)
            #expect(await watch.waitForOutput(containing: ["ADDED"]), "\(watch.output)")
            let patched = try await kubectl.run("patch", "widget", "watched", "-n", "team-a", "--type=merge", "-p", #"{"spec":{"size":6}}"#)
            #expect(patched.status == 0, "\(patched)")
            #expect(await watch.waitForOutput(containing: ["MODIFIED"]), "\(watch.output)")
            #expect(try await kubectl.run("delete", "widget", "watched", "-n", "team-a").status == 0)
            #expect(await watch.waitForOutput(containing: ["ADDED", "MODIFIED", "DELETED"]), "\(watch.output)")
            let rows = watch.output.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
            #expect(rows.first.map { Array($0.prefix(5)) } == ["EVENT", "NAME", "SIZE", "COLOR", "AGE"], "\(watch.output)")
            #expect(rows.dropFirst().map { Array($0.prefix(3)) } == [["ADDED", "watched", "4"], ["MODIFIED", "watched", "6"],
                                                                      ["DELETED", "watched", "6"]], "\(watch.output)")
        }
    }

    @Test func describeShowsTheObject() async throws {
        try await withCluster { h, kubectl in
            let file = try kubectl.file("w.yaml", Self.widget("described", namespace: "team-a", size: 2, labels: "{tier: x}"))
            #expect(try await kubectl.run("create", "-f", file).status == 0)
            let described = try await kubectl.run("describe", "widget", "described", "-n", "team-a")
            #expect(described.status == 0, "\(described)")
            for needle in ["Name:         described", "Namespace:    team-a", "Labels:       tier=x", "Kind:         Widget",
                           "Size:   2", "Color:  red"]
            {
                #expect(described.output.contains(needle), "missing \(needle) in \(described.output)")
            }
            let namespace = try await kubectl.run("describe", "namespace", "team-a")
            #expect(namespace.output.contains("Status:       Active"), "\(namespace)")
        }
    }

    @Test func mergePatchAndItsValidation() async throws {
        try await withCluster { h, kubectl in
            let file = try kubectl.file("w.yaml", Self.widget("p", namespace: "team-a", size: 2))
            #expect(try await kubectl.run("create", "-f", file).status == 0)
            let patched = try await kubectl.run("patch", "widget", "p", "-n", "team-a", "--type=merge",
                                                "-p", #"{"metadata":{"labels":{"x":"y"}},"spec":{"color":"blue"}}"#)
            #expect(patched.output == "widget.example.com/p patched\n", "\(patched)")
            let color = try await kubectl.run("get", "widget", "p", "-n", "team-a", "-o", "jsonpath={.spec.color} {.metadata.labels.x} {.metadata.generation}")
            #expect(color.output == "blue y 2", "\(color)")
            let invalid = try await kubectl.run("patch", "widget", "p", "-n", "team-a", "--type=merge", "-p", #"{"spec":{"size":99}}"#)
            #expect(invalid.status != 0)
            #expect(invalid.error.contains("spec.size"), "\(invalid)")
            let applied = try kubectl.file("applied.yaml", """
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: applied, namespace: team-a}
                data: {key: one}
                """)
            let serverSide = try await kubectl.run("apply", "--server-side", "-f", applied)
            #expect(serverSide.output == "configmap/applied serverside-applied\n", "\(serverSide)")
            let clientSide = try await kubectl.run("apply", "-f", file)
            #expect(clientSide.status == 0, "\(clientSide)")

            let label = try await kubectl.run("label", "namespace", "team-a", "env=test")
            #expect(label.status == 0, "\(label)")
            let labels = try await kubectl.run("get", "ns", "-l", "env=test", "-o", "name")
            #expect(labels.output == "namespace/team-a\n", "\(labels)")
        }
    }

    @Test func deleteWaitsForFinalizers() async throws {
        try await withCluster { h, kubectl in
            let file = try kubectl.file("w.yaml", """
                apiVersion: example.com/v1
                kind: Widget
                metadata: {name: held, namespace: team-a, finalizers: [example.com/hold]}
                spec: {size: 1}
                """)
            #expect(try await kubectl.run("create", "-f", file).status == 0)
            let deleting = try kubectl.start("delete", "widget", "held", "-n", "team-a", "--timeout=60s")
            defer { deleting.stop() }
            var marked = false
            for _ in 0..<300 where !marked {
                marked = h.emulator.object(apiVersion: "example.com/v1", kind: "Widget", namespace: "team-a", name: "held")?
                    .at("metadata.deletionTimestamp") != nil
                if !marked { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(marked)
            #expect(deleting.isRunning, "kubectl delete returned while the object still exists: \(deleting.output)")
            let released = try await kubectl.run("patch", "widget", "held", "-n", "team-a", "--type=merge",
                                                 "-p", #"{"metadata":{"finalizers":null}}"#)
            #expect(released.status == 0, "\(released)")
            let result = await deleting.finished()
            #expect(result.status == 0, "\(result)")
            #expect(result.output.contains("widget.example.com \"held\" deleted"), "\(result)")
            #expect(try await kubectl.run("get", "widget", "held", "-n", "team-a").status != 0)
        }
    }

    @Test func createSecretGeneric() async throws {
        try await withCluster { h, kubectl in
            let created = try await kubectl.run("create", "secret", "generic", "creds", "-n", "team-a",
                                                "--from-literal=user=admin", "--from-literal=password=s3cret")
            #expect(created.output == "secret/creds created\n", "\(created)")
            let user = try await kubectl.run("get", "secret", "creds", "-n", "team-a", "-o", "jsonpath={.data.user}")
            #expect(user.output == "YWRtaW4=", "\(user)")
            let listed = try await kubectl.run("get", "secrets", "-A")
            #expect(listed.output.contains("team-a      creds   Opaque   2"), "\(listed)")
            let configMap = try await kubectl.run("create", "configmap", "settings", "-n", "team-b", "--from-literal=a=b")
            #expect(configMap.status == 0, "\(configMap)")
            #expect(try await kubectl.run("create", "namespace", "team-c").output == "namespace/team-c created\n")
            #expect(try await kubectl.run("create", "serviceaccount", "bot", "-n", "team-c").output == "serviceaccount/bot created\n")
            let token = try await kubectl.run("create", "token", "bot", "-n", "team-c", "--duration=10m")
            #expect(token.status == 0, "\(token)")
            #expect(token.output.hasPrefix("sa-"), "\(token)")
            let role = try await kubectl.run("create", "role", "reader", "-n", "team-c", "--verb=get,list", "--resource=configmaps")
            #expect(role.output == "role.rbac.authorization.k8s.io/reader created\n", "\(role)")
            let binding = try await kubectl.run("create", "rolebinding", "reader", "-n", "team-c", "--role=reader",
                                                "--serviceaccount=team-c:bot")
            #expect(binding.output == "rolebinding.rbac.authorization.k8s.io/reader created\n", "\(binding)")
            let stored = try await kubectl.run("get", "rolebinding", "reader", "-n", "team-c", "-o", "jsonpath={.subjects[0].name} {.roleRef.name}")
            #expect(stored.output == "bot reader", "\(stored)")
        }
    }
}
