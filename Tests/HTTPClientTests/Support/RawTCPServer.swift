import Foundation
import Synchronization

/// A minimal TCP server on 127.0.0.1 for what a real HTTP server will not do on purpose: never
/// answer, go silent after the head, or play an HTTP proxy. It records each request head it reads
/// and notices when the client closes a connection.
final class RawTCPServer: Sendable {
    enum Behaviour: Sendable {
        /// Read forever, never answer.
        case silent
        /// Answer the first request head with these bytes, then keep the connection open silently.
        case reply(String)
    }

    private struct State {
        var accepted = 0
        var requestHeads: [String] = []
        var closedByClient = 0
        var connections: [Int32] = []
        var stopped = false
    }

    let port: Int
    private let listener: Int32
    private let behaviour: Behaviour
    private let state = Mutex(State())

    var accepted: Int { state.withLock { $0.accepted } }
    var requestHeads: [String] { state.withLock { $0.requestHeads } }
    var closedByClient: Int { state.withLock { $0.closedByClient } }

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
            if case .reply(let reply) = behaviour {
                let bytes = Array(reply.utf8)
                _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            }
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
