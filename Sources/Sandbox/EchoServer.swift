import Foundation
import Netlink
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The Internet's "what is my IP" service: answers every HTTP request with the source address the
/// connection came from, one line of text. That address is what the whole project is about.
public final class EchoServer: Sendable {
    /// Where it listens, for log lines.
    public let endpoint: String
    private let listener: Int32
    private let stopped = Mutex(false)

    /// Listens on `address:port` inside `namespace` and serves on background threads until ``stop()``.
    public init(in namespace: NetworkNamespace, address: IPAddress = SandboxLayout.echoAddress,
                port: UInt16 = SandboxLayout.echoPort) throws(SandboxError) {
        endpoint = "http://\(address):\(port) in \(namespace)"
        let fd = try NamespacedSocket.tcp(in: namespace, bindTo: address, port: port)
        guard listen(fd, 64) == 0 else {
            let reason = NamespacedSocket.errnoText()
            close(fd)
            throw .request(target: endpoint, reason: "listen: \(reason)")
        }
        listener = fd
        let server = self
        Thread.detachNewThread { server.acceptLoop() }
    }

    /// Stops accepting; connections being answered finish on their own.
    public func stop() {
        let wasStopped = stopped.withLock { value in defer { value = true }; return value }
        guard !wasStopped else { return }
        // shutdown wakes the blocked accept(); the accept loop closes the descriptor.
        shutdown(listener, Int32(SHUT_RDWR))
    }

    deinit { stop() }

    private func acceptLoop() {
        while true {
            let connection = accept(listener, nil, nil)
            if connection < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                break
            }
            _ = fcntl(connection, F_SETFD, FD_CLOEXEC)
            Thread.detachNewThread { Self.answer(connection) }
        }
        close(listener)
    }

    private static func answer(_ connection: Int32) {
        defer { close(connection) }
        var limit = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        // Read the request head; its content does not matter, only who sent it.
        var head: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 2048)
        while head.count < 16384, !head.ends(with: [13, 10, 13, 10]) {
            let n = recv(connection, &chunk, chunk.count, 0)
            if n > 0 { head += chunk[0..<n] } else if n < 0 && errno == EINTR { continue } else { break }
        }
        let body = NamespacedSocket.peerAddress(of: connection) + "\n"
        let response = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n" + body
        let bytes = Array(response.utf8)
        _ = send(connection, bytes, bytes.count, Int32(MSG_NOSIGNAL))
    }
}

extension Array where Element == UInt8 {
    func ends(with suffix: [UInt8]) -> Bool { count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix }
}
