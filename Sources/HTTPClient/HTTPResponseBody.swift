/// The body of an ``HTTPStreamingResponse``: an asynchronous sequence of byte chunks as they arrive.
///
/// Iterate it once. Reading slowly slows the server down (the transfer pauses while a bounded
/// amount of data waits unread). Cancelling the reading task, calling ``cancel()``, or releasing
/// every copy of the body aborts the transfer and closes its connection.
public struct HTTPResponseBody: AsyncSequence, Sendable {
    public typealias Element = [UInt8]
    public typealias Failure = HTTPClientError

    let stream: StreamHandle

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(stream: stream)
    }

    /// Yields the next chunk, nil at the end of the body.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let stream: StreamHandle

        public mutating func next() async throws(HTTPClientError) -> [UInt8]? {
            try await stream.next()
        }
    }

    /// The body split into lines (newline-delimited JSON, server-sent text), without their `\n`
    /// or `\r\n`. A last line without a terminator is yielded too. A line longer than
    /// `maximumLength` bytes ends the sequence with ``HTTPClientError/responseTooLarge(url:limit:)``.
    public func lines(maximumLength: Int = 16 << 20) -> HTTPResponseLines {
        HTTPResponseLines(body: self, maximumLength: maximumLength)
    }

    /// The body split into lines of at most 16 MiB; see ``lines(maximumLength:)``.
    public var lines: HTTPResponseLines { lines() }

    /// Reads the rest of the body into memory; more than `limit` bytes is an error.
    public func collect(upTo limit: Int) async throws(HTTPClientError) -> [UInt8] {
        var bytes: [UInt8] = []
        var iterator = makeAsyncIterator()
        while let chunk = try await iterator.next() {
            guard bytes.count + chunk.count <= limit else {
                cancel()
                throw .responseTooLarge(url: stream.url, limit: limit)
            }
            bytes += chunk
        }
        return bytes
    }

    /// Aborts the transfer; further reads end with ``HTTPClientError/cancelled(url:)``.
    public func cancel() {
        stream.abort()
    }
}

/// Lines of an ``HTTPResponseBody``, each as its bytes without the line terminator.
public struct HTTPResponseLines: AsyncSequence, Sendable {
    public typealias Element = [UInt8]
    public typealias Failure = HTTPClientError

    let body: HTTPResponseBody
    let maximumLength: Int

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(chunks: body.makeAsyncIterator(), url: body.stream.url, maximumLength: maximumLength)
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var chunks: HTTPResponseBody.AsyncIterator
        let url: String
        let maximumLength: Int
        /// Received bytes not yet returned; `start` is where the next line begins and `scanned`
        /// how far a newline has been looked for, so every byte is examined once.
        var pending: [UInt8] = []
        var start = 0
        var scanned = 0
        var ended = false

        public mutating func next() async throws(HTTPClientError) -> [UInt8]? {
            while true {
                if let newline = pending[scanned...].firstIndex(of: UInt8(ascii: "\n")) {
                    var end = newline
                    if end > start, pending[end - 1] == UInt8(ascii: "\r") { end -= 1 }
                    guard end - start <= maximumLength else { throw tooLong() }
                    let line = Array(pending[start..<end])
                    start = newline + 1
                    scanned = start
                    return line
                }
                scanned = pending.count
                if ended {
                    guard start < pending.count else { return nil }
                    guard pending.count - start <= maximumLength else { throw tooLong() }
                    defer { start = pending.count }
                    return Array(pending[start...])
                }
                guard pending.count - start <= maximumLength else { throw tooLong() }
                guard let chunk = try await chunks.next() else {
                    ended = true
                    continue
                }
                if start > 0 {
                    pending.removeFirst(start)
                    scanned -= start
                    start = 0
                }
                pending += chunk
            }
        }

        private func tooLong() -> HTTPClientError {
            chunks.stream.abort()
            return .responseTooLarge(url: url, limit: maximumLength)
        }
    }
}
