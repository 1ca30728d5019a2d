import Hummingbird
import Kube

/// A watch answer: newline-delimited JSON events written as they happen, with periodic BOOKMARKs when asked for,
/// until the timeout, a client disconnect, or the store dropping the watch. A resourceVersion too old for the
/// history is answered as kube-apiserver does: status 200 with a single ERROR event carrying a 410 `Status`.
struct WatchStream: Sendable {
    let emulator: KubeEmulator
    let handler: ResourceHandler
    let filter: WatchFilter
    let start: WatchStart
    let bookmarks: Bool
    let timeout: Duration
    let table: TableConverter?

    func response() -> Response {
        let store = emulator.store
        let filter = filter
        let start = start
        let bufferLimit = emulator.configuration.watchBufferLimit
        let registration: Result<(id: Int, stream: AsyncStream<WatchMessage>), APIError> = Result {
            () throws(APIError) in
            try store.perform { (state: inout StoreState) throws(APIError) in
                try state.startWatch(filter, from: start, bufferLimit: bufferLimit)
            }
        }
        let headers: HTTPFields = [.contentType: "application/json", .cacheControl: "no-cache, private"]
        switch registration {
        case .failure(let error):
            var line = JSONWriter.encode(["type": "ERROR", "object": error.status.json])
            line.append(UInt8(ascii: "\n"))
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: line)))
        case .success(let (id, stream)):
            let interval = emulator.configuration.bookmarkInterval
            let bookmarks = bookmarks
            let timeout = timeout
            return Response(status: .ok, headers: headers, body: ResponseBody { writer in
                await withTaskGroup(of: Void.self) { group in
                    group.addTask {
                        try? await Task.sleep(for: timeout)
                        store.state.withLock { $0.stopWatch(id) }
                    }
                    if bookmarks {
                        group.addTask {
                            while !Task.isCancelled {
                                try? await Task.sleep(for: interval)
                                store.state.withLock { $0.bookmark(id) }
                            }
                        }
                    }
                    var first = true
                    for await message in stream {
                        let line = encode(message, first: first)
                        first = false
                        do {
                            try await writer.write(ByteBuffer(bytes: line))
                        } catch {
                            break
                        }
                    }
                    store.state.withLock { $0.stopWatch(id) }
                    group.cancelAll()
                }
                try await writer.finish(nil)
            })
        }
    }

    private func encode(_ message: WatchMessage, first: Bool) -> [UInt8] {
        let event: JSONValue
        switch message {
        case .event(let type, let object):
            let shown = handler.present(object)
            let payload = table?.table([shown], version: handler.target.version,
                                       apiVersion: handler.target.type.apiVersion(handler.target.version),
                                       includeObject: handler.request.query["includeObject"] ?? "Metadata",
                                       listMeta: ["resourceVersion": .string(object.resourceVersion)], withColumns: first)
            event = ["type": .string(type.rawValue), "object": payload ?? shown]
        case .bookmark(let revision, let initialEventsEnd):
            var metadata: [String: JSONValue] = ["resourceVersion": .string(String(revision))]
            if initialEventsEnd { metadata["annotations"] = ["k8s.io/initial-events-end": "true"] }
            event = ["type": "BOOKMARK", "object": [
                "kind": .string(handler.target.type.kind),
                "apiVersion": .string(handler.target.type.apiVersion(handler.target.version)),
                "metadata": .object(metadata),
            ]]
        }
        var line = JSONWriter.encode(event)
        line.append(UInt8(ascii: "\n"))
        return line
    }
}
