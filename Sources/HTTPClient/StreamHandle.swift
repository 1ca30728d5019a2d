/// The reader's end of a streaming transfer: takes chunks from the buffer, asks the curl thread to
/// resume a paused transfer, and aborts the transfer when the reader goes away.
final class StreamHandle: Sendable {
    let url: String
    private let buffer: BodyBuffer
    private let transfer: Transfer
    /// Keeps the client, and with it the curl thread, alive while the body is being read.
    private let client: HTTPClient

    init(url: String, buffer: BodyBuffer, transfer: Transfer, client: HTTPClient) {
        self.url = url
        self.buffer = buffer
        self.transfer = transfer
        self.client = client
    }

    deinit { abort() }

    func next() async throws(HTTPClientError) -> [UInt8]? {
        if Task.isCancelled {
            abort()
            throw .cancelled(url: url)
        }
        var poll = buffer.poll()
        if case .empty = poll {
            let buffer = self.buffer
            poll = await withTaskCancellationHandler {
                await buffer.wait()
            } onCancel: {
                buffer.wakeWaiters()
            }
        }
        switch poll {
        case .chunk(let bytes, let resumeProducer):
            if resumeProducer { client.engine.submit(.resume(transfer)) }
            return bytes
        case .end(.success):
            return nil
        case .end(.failure(let error)):
            throw error
        case .empty:
            abort()
            throw .cancelled(url: url)
        }
    }

    func abort() {
        buffer.abandon(with: .cancelled(url: url))
        if transfer.markAborted() { client.engine.submit(.abort(transfer)) }
    }

    var peakBufferedBytes: Int { buffer.peakBufferedBytes }
}
