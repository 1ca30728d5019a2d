import Foundation
import Synchronization

/// A minimal TCP server on 127.0.0.1 for what a real HTTP server will not do on purpose: never
/// answer, go silent after the head, play an HTTP proxy, or count the body bytes the kernel took.
/// It records each request head it reads and notices when the client closes a connection. Every
/// connection runs on its own thread, off the cooperative pool, so a busy test cannot starve it.
final class RawTCPServer: Sendable {
    enum Behaviour: Sendable {
        /// Read forever, never answer.
        case silent
        /// Answer the first request head with these bytes, then keep the connection open silently.
        case reply(String)
        /// Answer with a `count`-byte body of the pattern `i % 251`, sent from a blocking loop: only
        /// bytes the kernel accepted count as sent (a server framework's writer may queue far more).
        case bytes(count: Int)
    }

    private struct State {
        var accepted = 0
        var requestHeads: [String] = []
        var closedByClient = 0
        var connections: [Int32] = []
        var stopped = false
        var bytesSent = 0
        var sendStalled = false
    }

    let port: Int
    private let listener: Int32
    private let behaviour: Behaviour
    private let state = Mutex(State())

    var accepted: Int { state.withLock { $0.accepted } }
    var requestHeads: [String] { state.withLock { $0.requestHeads } }
    var closedByClient: Int { state.withLock { $0.closedByClient } }
    /// Body bytes the kernel accepted (``Behaviour/bytes(count:)``).
    var bytesSent: Int { state.withLock { $0.bytesSent } }
    /// True while the body sender waits because the connection's buffers are full: the client has
    /// stopped reading.
    var sendStalled: Bool { state.withLock { $0.sendStalled } }

    init(_ behaviour: Behaviour) throws {
        self.behaviour = behaviour
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(fd, raw, length) == 0 && listen(fd, 64) == 0 && getsockname(fd, raw, &length) == 0
            }
        }
        guard bound else {
            close(fd)
            throw POSIXError(.init(rawValue: errno) ?? .EIO)
        }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    /// Closes the listener and every connection.
    func stop() {
        // Under the lock: a connection's descriptor is closed under it too, so a number reused by
        // another test's socket is never shut down here.
        state.withLock { state in
            state.stopped = true
            for fd in state.connections { shutdown(fd, Int32(SHUT_RDWR)) }
        }
        shutdown(listener, Int32(SHUT_RDWR))
    }

    deinit { close(listener) }

    private func acceptLoop() {
        while true {
            let fd = accept(listener, nil, nil)
            if fd < 0 {
                if errno == EINTR { continue }
                return
            }
            let keep = state.withLock { state in
                guard !state.stopped else { return false }
                state.accepted += 1
                state.connections.append(fd)
                return true
            }
            guard keep else {
                close(fd)
                return
            }
            Thread.detachNewThread { [self] in serve(fd) }
        }
    }

    private func serve(_ fd: Int32) {
        defer {
            state.withLock { state in
                state.connections.removeAll { $0 == fd }
                close(fd)
            }
        }
        var pending: [UInt8] = []
        var answered = false
        var buffer = [UInt8](repeating: 0, count: 16 << 10)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0, errno == EINTR { continue }
            if count <= 0 {
                state.withLock { state in
                    if !state.stopped { state.closedByClient += 1 }
                }
                return
            }
            pending += buffer[..<count]
            let text = String(decoding: pending, as: UTF8.self)
            guard !answered, let end = text.range(of: "\r\n\r\n") else { continue }
            answered = true
            state.withLock { $0.requestHeads.append(String(text[..<end.lowerBound])) }
            switch behaviour {
            case .silent:
                break
            case .reply(let reply):
                let bytes = Array(reply.utf8)
                _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            case .bytes(let count):
                sendBody(fd, count: count)
            }
        }
    }

    private func sendBody(_ fd: Int32, count: Int) {
        let head = Array("HTTP/1.1 200 OK\r\nContent-Length: \(count)\r\n\r\n".utf8)
        _ = head.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        // Whole pattern periods, so every send starts at phase 0 of the next unsent byte's period.
        let chunk = (0..<(251 * 256)).map { UInt8($0 % 251) }
        var sent = 0
        while sent < count {
            let phase = sent % 251
            let length = min(chunk.count - phase, count - sent)
            let written = chunk.withUnsafeBytes {
                send(fd, $0.baseAddress! + phase, length, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
            }
            if written > 0 {
                sent += written
                state.withLock { $0.bytesSent += written }
                continue
            }
            guard written < 0, errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR else { return }
            state.withLock { $0.sendStalled = true }
            var waiting = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            _ = poll(&waiting, 1, -1)
            state.withLock { $0.sendStalled = false }
            if waiting.revents & Int16(POLLERR | POLLHUP) != 0 { return }
        }
    }
}

/// A loopback port that refuses connections: bound (so nobody else takes it) but not listening.
final class RefusingPort: Sendable {
    let port: Int
    private let fd: Int32

    init() throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let fd = self.fd
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(fd, raw, length) == 0 && getsockname(fd, raw, &length) == 0
            }
        }
        guard fd >= 0, bound else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(fd) }
}
