import Foundation
import HTTPClient
import Kube
import KubeEmulator
import Testing

@Suite("client against the emulator")
struct EmulatorClientTests {
    @Test func crudWithOptimisticConcurrency() async throws {
        try await withEmulator { _, client in
            let maps = client.resource(ConfigMap.self, namespace: "default")
            let created = try await maps.create(configMap("one", data: ["a": "1"], labels: ["app": "gw"]))
            #expect(!created.metadata.uid.isEmpty && !created.metadata.resourceVersion.isEmpty)
            #expect(try await maps.get("one") == created)

            let exists = await #expect(throws: KubeError.self) { try await maps.create(configMap("one")) }
            #expect(exists?.isAlreadyExists == true)

            var first = created
            first.data["a"] = "2"
            let updated = try await maps.update(first)
            #expect(updated.metadata.resourceVersion != created.metadata.resourceVersion)

            // A writer holding the old version loses, and is told so.
            var stale = created
            stale.data["a"] = "3"
            let conflict = await #expect(throws: KubeError.self) { try await maps.update(stale) }
            #expect(conflict?.isConflict == true)
            #expect(conflict?.description.contains("/api/v1/namespaces/default/configmaps/one") == true)
            #expect(try await maps.get("one").data["a"] == "2")

            let missing = await #expect(throws: KubeError.self) { try await maps.get("nope") }
            #expect(missing?.isNotFound == true)

            #expect(try await maps.delete("one") == nil)
            let gone = await #expect(throws: KubeError.self) { try await maps.get("one") }
            #expect(gone?.isNotFound == true)
        }
    }

    @Test func listsWithSelectorsAndPages() async throws {
        try await withEmulator { _, client in
            let maps = client.resource(ConfigMap.self, namespace: "default")
            for index in 0..<25 {
                _ = try await maps.create(configMap(String(format: "cm-%02d", index),
                                                    labels: ["parity": index % 2 == 0 ? "even" : "odd"]))
            }
            let page = try await maps.list(ListOptions(limit: 10))
            #expect(page.items.count == 10)
            #expect(!page.metadata.continue.isEmpty)
            let all = try await maps.listAll(ListOptions(limit: 10))
            #expect(all.items.map(\.metadata.name) == (0..<25).map { String(format: "cm-%02d", $0) })
            #expect(!all.metadata.resourceVersion.isEmpty)
            let odd = try await maps.listAll(ListOptions(labelSelector: "parity=odd", limit: 4))
            #expect(odd.items.count == 12)
            let notEven = try await maps.list(ListOptions(labelSelector: "parity!=even,parity"))
            #expect(notEven.items.count == 12)
            let byName = try await maps.list(ListOptions(fieldSelector: "metadata.name=cm-07"))
            #expect(byName.items.map(\.metadata.name) == ["cm-07"])
            let allNamespaces = try await client.resource(ConfigMap.self).list(ListOptions(labelSelector: "parity=even"))
            #expect(allNamespaces.items.count == 13)
        }
    }

    @Test func patchesAndStatus() async throws {
        try await withEmulator { _, client in
            let pods = client.resource(Pod.self, namespace: "default")
            var pod = Pod(metadata: ObjectMeta(name: "p", namespace: "default"),
                          spec: PodSpec(containers: [Container(name: "c", unknownFields: ["image": "busybox"])]))
            pod = try await pods.create(pod)

            let merged = try await pods.patch("p", .merge(["metadata": ["labels": ["tier": "gw"]]]))
            #expect(merged.metadata.labels == ["tier": "gw"])
            let patched = try await pods.patch("p", .json([
                .test("/metadata/labels/tier", "gw"), .add("/metadata/annotations", ["note": "x"]),
            ]))
            #expect(patched.metadata.annotations == ["note": "x"])
            let failedTest = await #expect(throws: KubeError.self) {
                try await pods.patch("p", .json([.test("/metadata/labels/tier", "other")]))
            }
            #expect(failedTest?.apiError != nil)

            var withStatus = patched
            withStatus.status.phase = "Running"
            withStatus.metadata.labels["ignored"] = "by-status"
            let afterStatus = try await pods.updateStatus(withStatus)
            #expect(afterStatus.status.phase == "Running")
            #expect(afterStatus.metadata.labels["ignored"] == nil, "the status subresource ignores metadata changes")
            let statusPatch = try await pods.patch("p", .merge(["status": ["phase": "Succeeded"]]), subresource: "status")
            #expect(statusPatch.status.phase == "Succeeded")
        }
    }

    @Test func deleteOptions() async throws {
        try await withEmulator { _, client in
            let maps = client.resource(ConfigMap.self, namespace: "default")
            var held = configMap("held")
            held.metadata.finalizers = ["egressgw.example/cleanup"]
            held = try await maps.create(held)

            let wrongUID = await #expect(throws: KubeError.self) {
                try await maps.delete("held", options: DeleteOptions(preconditionUID: "not-the-uid"))
            }
            #expect(wrongUID?.isConflict == true)
            let staleVersion = await #expect(throws: KubeError.self) {
                try await maps.delete("held", options: DeleteOptions(preconditionResourceVersion: "1"))
            }
            #expect(staleVersion?.isConflict == true)

            let marked = try await maps.delete("held", options: DeleteOptions(
                propagationPolicy: .background, preconditionUID: held.metadata.uid))
            #expect(marked?.metadata.isBeingDeleted == true, "a finalizer keeps the object, marked")
            var finalizing = try await maps.get("held")
            finalizing.metadata.removeFinalizer("egressgw.example/cleanup")
            _ = try await maps.update(finalizing)
            let gone = await #expect(throws: KubeError.self) { try await maps.get("held") }
            #expect(gone?.isNotFound == true)
        }
    }

    @Test func dynamicObjectsAndClusterScope() async throws {
        try await withEmulator { _, client in
            let namespaces = client.dynamic(.namespace)
            let created = try await namespaces.create(DynamicObject(
                resource: .namespace, metadata: ObjectMeta(name: "egress", labels: ["team": "net"]),
                members: ["spec": ["finalizers": ["kubernetes"]]]))
            #expect(created.kind == "Namespace")
            #expect(created["spec"]?["finalizers"] == ["kubernetes"])
            let maps = client.dynamic(.configMap, namespace: "egress")
            _ = try await maps.create(DynamicObject(resource: .configMap, metadata: ObjectMeta(name: "d"),
                                                    members: ["data": ["k": "v"], "futureField": [1, 2]]))
            let read = try await client.resource(ConfigMap.self, namespace: "egress").get("d")
            #expect(read.data == ["k": "v"])
            #expect(try await maps.get("d")["data"]?["k"] == "v")
        }
    }

    @Test func invalidObjectsNameTheirFields() async throws {
        try await withEmulator { _, client in
            let error = await #expect(throws: KubeError.self) {
                try await client.resource(ConfigMap.self, namespace: "default").create(configMap("Not_A_Name"))
            }
            guard case .invalid(let details) = error else { Issue.record("expected invalid, got \(String(describing: error))"); return }
            #expect(details.code == 422)
            #expect(details.causes.contains { $0.field == "metadata.name" })
        }
    }

    @Test func authenticationAndAuthorizationErrors() async throws {
        let configuration = KubeEmulator.Configuration(
            authentication: .bearerTokens(["admin-token": .admin]), authorization: .rbac)
        try await withEmulator(configuration) { server, _ in
            let stranger = try KubeClient(configuration: emulatorClientConfiguration(server, credentials: .bearer("wrong")))
            let unauthorized = await #expect(throws: KubeError.self) {
                try await stranger.resource(ConfigMap.self, namespace: "default").list()
            }
            guard case .unauthorized = unauthorized else { Issue.record("got \(String(describing: unauthorized))"); return }

            let token = server.emulator.serviceAccountToken(namespace: "default", name: "nobody")
            let account = try KubeClient(configuration: emulatorClientConfiguration(server, credentials: .bearer(token)))
            let forbidden = await #expect(throws: KubeError.self) {
                try await account.resource(Secret.self, namespace: "default").get("x")
            }
            guard case .forbidden = forbidden else { Issue.record("got \(String(describing: forbidden))"); return }
        }
    }

    @Test func execPluginTokenIsRefreshedAfterUnauthorized() async throws {
        let configuration = KubeEmulator.Configuration(authentication: .bearerTokens(["fresh-token": .admin]))
        try await withEmulator(configuration) { server, _ in
            let scratch = try ScratchDirectory()
            // The first run hands out a token the server does not know (as if revoked); later runs a good one.
            try scratch.write("plugin.sh", """
                #!/bin/sh
                if [ -e "\(scratch.path)/ran" ]; then token=fresh-token; else token=revoked-token; fi
                touch "\(scratch.path)/ran"
                echo run >> "\(scratch.path)/runs"
                printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s"}}' "$token"
                """, executable: true)
            let file = try scratch.write("config", """
                current-context: emu
                clusters: [{name: emu, cluster: {server: "\(server.url)"}}]
                users: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1, command: ./plugin.sh}}}]
                contexts: [{name: emu, context: {cluster: emu, user: u, namespace: default}}]
                """)
            var configuration = try KubeClientConfiguration.load(kubeconfig: file, environment: [:])
            configuration.proxy = .none
            let client = try KubeClient(configuration: configuration)
            let maps = client.resource(ConfigMap.self, namespace: configuration.namespace)
            _ = try await maps.create(configMap("via-exec"))
            _ = try await maps.get("via-exec")
            #expect(try scratch.read("runs") == "run\nrun\n", "one 401, one re-run, then the cached token")
        }
    }
}
