import Kube
import KubeEmulator
import Testing

@Suite struct WatchTests {
    private let path = "/api/v1/namespaces/default/configmaps"

    @Test func watchFromAResourceVersionSeesEveryChangeInOrder() async throws {
        try await Harness.with { h in
            let before = try await h.configMap("before")
            let version = before.at("metadata.resourceVersion")!.string!
            let watch = try await h.watch(path + "?watch=1&resourceVersion=\(version)")
            #expect(watch.status == 200)
            try await h.configMap("a")
            #expect(try await h.mergePatch(path + "/a", ["data": ["k": "v"]]).status == 200)
            #expect(try await h.delete(path + "/a").status == 200)
            let added = try #require(try await watch.nextChange())
            #expect(added.type == "ADDED")
            #expect(added.object.at("metadata.name") == "a")
            let modified = try #require(try await watch.nextChange())
            #expect(modified.type == "MODIFIED")
            #expect(modified.object.at("data.k") == "v")
            let deleted = try #require(try await watch.nextChange())
            #expect(deleted.type == "DELETED")
            let versions = [added, modified, deleted].compactMap { Int64($0.object.at("metadata.resourceVersion")?.string ?? "") }
            #expect(versions == versions.sorted() && Set(versions).count == 3)
            watch.cancel()
        }
    }

    @Test func watchWithoutVersionStartsWithTheCurrentState() async throws {
        try await Harness.with { h in
            try await h.configMap("one")
            try await h.configMap("two")
            let watch = try await h.watch(path + "?watch=true")
            #expect(try await watch.nextChange()?.object.at("metadata.name") == "one")
            #expect(try await watch.nextChange()?.object.at("metadata.name") == "two")
            watch.cancel()
        }
    }

    @Test func bookmarksCarryTheCurrentVersion() async throws {
        let configuration = KubeEmulator.Configuration(bookmarkInterval: .milliseconds(50))
        try await Harness.with(configuration) { h in
            let created = try await h.configMap("x")
            let watch = try await h.watch(path + "?watch=1&allowWatchBookmarks=true&resourceVersion=\(created.at("metadata.resourceVersion")!.string!)")
            let event = try #require(try await watch.next())
            #expect(event.type == "BOOKMARK")
            #expect(event.object.at("kind") == "ConfigMap")
            #expect(event.object.at("metadata.resourceVersion") == created.at("metadata.resourceVersion"))
            watch.cancel()
        }
    }

    @Test func sendInitialEventsEndsWithAnAnnotatedBookmark() async throws {
        try await Harness.with { h in
            try await h.configMap("x")
            let watch = try await h.watch(path + "?watch=1&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan")
            #expect(try await watch.next()?.type == "ADDED")
            let bookmark = try #require(try await watch.next())
            #expect(bookmark.type == "BOOKMARK")
            #expect(bookmark.object.at("metadata.annotations")?["k8s.io/initial-events-end"] == "true")
            watch.cancel()
        }
    }

    @Test func tooOldVersionIsAnErrorEventWith410() async throws {
        try await Harness.with(KubeEmulator.Configuration(historyLimit: 3)) { h in
            for index in 0..<6 { try await h.configMap("cm-\(index)") }
            let watch = try await h.watch(path + "?watch=1&resourceVersion=2")
            #expect(watch.status == 200)
            let event = try #require(try await watch.next())
            #expect(event.type == "ERROR")
            #expect(event.object.at("code") == 410)
            #expect(event.object.at("reason") == "Expired")
            #expect(event.object.at("kind") == "Status")
            #expect(try await watch.next() == nil)
        }
    }

    @Test func labelFilteredWatchSeesObjectsEnterAndLeave() async throws {
        try await Harness.with { h in
            let created = try await h.configMap("x", labels: ["app": "a"])
            let watch = try await h.watch(path + "?watch=1&labelSelector=app%3Db&resourceVersion=\(created.at("metadata.resourceVersion")!.string!)")
            #expect(try await h.mergePatch(path + "/x", ["metadata": ["labels": ["app": "b"]]]).status == 200)
            #expect(try await watch.nextChange()?.type == "ADDED")
            #expect(try await h.mergePatch(path + "/x", ["data": ["k": "v"]]).status == 200)
            #expect(try await watch.nextChange()?.type == "MODIFIED")
            #expect(try await h.mergePatch(path + "/x", ["metadata": ["labels": ["app": "c"]]]).status == 200)
            #expect(try await watch.nextChange()?.type == "DELETED")
            watch.cancel()
        }
    }

    @Test func timeoutEndsTheStream() async throws {
        try await Harness.with { h in
            let watch = try await h.watch(path + "?watch=1&timeoutSeconds=1&resourceVersion=\(h.emulator.resourceVersion)")
            #expect(try await watch.next() == nil)
        }
    }

    @Test func droppedWatchResumesWithoutLossOrDuplicates() async throws {
        try await Harness.with { h in
            let start = h.emulator.resourceVersion
            var watch = try await h.watch(path + "?watch=1&resourceVersion=\(start)")
            try await h.configMap("a")
            let first = try #require(try await watch.nextChange())
            h.emulator.dropWatches()
            #expect(try await watch.nextChange() == nil)
            try await h.configMap("b")
            try await h.configMap("c")
            let resume = first.object.at("metadata.resourceVersion")!.string!
            watch = try await h.watch(path + "?watch=1&resourceVersion=\(resume)")
            #expect(try await watch.nextChange()?.object.at("metadata.name") == "b")
            #expect(try await watch.nextChange()?.object.at("metadata.name") == "c")
            watch.cancel()
        }
    }

    @Test func crdResourceWatchAcrossNamespaces() async throws {
        try await Harness.with { h in
            #expect(try await h.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", CRDFixtures.widget).status == 201)
            let watch = try await h.watch("/apis/example.com/v1/widgets?watch=1&resourceVersion=\(h.emulator.resourceVersion)")
            #expect(try await h.post(CRDFixtures.widgetsPath, CRDFixtures.widget("w")).status == 201)
            let event = try #require(try await watch.nextChange())
            #expect(event.type == "ADDED")
            #expect(event.object.at("apiVersion") == "example.com/v1")
            #expect(event.object.at("kind") == "Widget")
            watch.cancel()
        }
    }
}
