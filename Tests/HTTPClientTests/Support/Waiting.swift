import Foundation
import HTTPClient

/// A bounded wait that failed: the test hung instead of finishing.
struct TestTimeout: Error, CustomStringConvertible {
    let what: String
    var description: String { "gave up waiting for \(what)" }
}

/// Polls `condition` until it holds or `limit` passes (a generous bound, not a timing assertion).
func eventually(_ limit: Duration = .seconds(30), _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + limit
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return condition()
}

/// Runs `body`, failing with ``TestTimeout`` if it takes longer than `limit`, so that a bug shows
/// as a failure rather than a hung test run.
func withTimeout<T: Sendable>(
    _ limit: Duration = .seconds(60),
    _ what: String = "the operation",
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            throw TestTimeout(what: what)
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}

/// Runs blocking work (child processes, reads of their output) on a thread of its own. The
/// cooperative pool has one thread per core and every test of the run shares it: a test blocking
/// those threads starves all the others, which then fail their own waits on a loaded machine.
func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
    }
}

/// The error `body` throws, or nil if it succeeds. (Closures infer untyped throws, so anything but
/// an ``HTTPClientError`` shows up as a `transfer` error with code -1.)
func failure<T>(_ body: () async throws -> T) async -> HTTPClientError? {
    do {
        _ = try await body()
        return nil
    } catch let error as HTTPClientError {
        return error
    } catch {
        return .transfer(url: "", code: -1, detail: "not an HTTPClientError: \(error)")
    }
}

/// A fresh directory under the system temp directory, removed by the caller.
func makeTemporaryDirectory(_ label: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("egw-httpclient-\(label)-\(getpid())-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

extension HTTPResponse {
    /// The body as a JSON object (the echo server's answers).
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:]
    }
}
