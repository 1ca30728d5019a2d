#if canImport(Glibc)
import Glibc
#endif
import Netlink

/// Small blocking HTTP/1.0 over TCP sockets that belong to a chosen network namespace.
///
/// A socket stays in the namespace it was created in, whichever thread uses it later; so the
/// sandbox opens sockets inside the Internet, fabric or pod namespace (on a short-lived thread
/// that entered it) and serves or sends from its own threads. No process per namespace, and the
/// packets are real.
enum NamespacedSocket {
    /// An IPv4 TCP socket made inside `namespace`, bound to `address:port` when given.
    static func tcp(in namespace: NetworkNamespace, bindTo address: IPAddress? = nil, port: UInt16 = 0) throws(SandboxError) -> Int32 {
        let target = "\(address.map(\.description) ?? "*"):\(port) in \(namespace)"
        let fd: Int32 = try SandboxError.during("open socket \(target)") {
            try namespace.perform { socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        }
        guard fd >= 0 else { throw .request(target: target, reason: "socket: \(errnoText())") }
        var on: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        if address != nil || port != 0 {
            var sin = socketAddress(address ?? IPAddress("0.0.0.0")!, port)
            let result = withUnsafePointer(to: &sin) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard result == 0 else {
                let reason = errnoText()
                close(fd)
                throw .request(target: target, reason: "bind: \(reason)")
            }
        }
        return fd
    }

    /// `GET path` to `address:port` from inside `namespace` (from `source` when given); returns the
    /// status code and the body. Waits at most `timeout` seconds for each step.
    static func get(in namespace: NetworkNamespace, from source: IPAddress? = nil, to address: IPAddress, port: UInt16,
                    path: String, headers: [String: String] = [:], timeout: Int = 2) throws(SandboxError) -> (status: Int, body: String) {
        let target = "http://\(address):\(port)\(path) from \(namespace)"
        let fd = try tcp(in: namespace, bindTo: source)
        defer { close(fd) }
        var limit = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var sin = socketAddress(address, port)
        let connected = withUnsafePointer(to: &sin) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw .request(target: target, reason: "connect: \(errnoText())") }
        let extra = headers.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)\r\n" }.joined()
        let request = Array("GET \(path) HTTP/1.0\r\nHost: \(address)\r\nUser-Agent: egressgw-sandbox\r\n\(extra)\r\n".utf8)
        guard send(fd, request, request.count, Int32(MSG_NOSIGNAL)) == request.count else {
            throw .request(target: target, reason: "send: \(errnoText())")
        }
        let response = readAll(fd)
        guard let text = String(validating: response, as: UTF8.self), let headerEnd = text.range(of: "\r\n\r\n") else {
            throw .request(target: target, reason: "no complete HTTP response (\(response.count) bytes)")
        }
        let statusLine = text[..<headerEnd.lowerBound].prefix { $0 != "\r" }
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/"), let status = Int(parts[1]) else {
            throw .request(target: target, reason: "malformed status line \"\(statusLine)\"")
        }
        return (status, String(text[headerEnd.upperBound...]))
    }

    /// Reads until the peer closes (HTTP/1.0), the timeout, or 64 KiB.
    static func readAll(_ fd: Int32) -> [UInt8] {
        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while response.count < 65536 {
            let n = recv(fd, &chunk, chunk.count, 0)
            if n > 0 { response += chunk[0..<n] } else if n < 0 && errno == EINTR { continue } else { break }
        }
        return response
    }

    static func socketAddress(_ address: IPAddress, _ port: UInt16) -> sockaddr_in {
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_port = port.bigEndian
        let bytes = address.bytes
        sin.sin_addr.s_addr = bytes.count == 4
            ? UInt32(bytes[0]) | UInt32(bytes[1]) << 8 | UInt32(bytes[2]) << 16 | UInt32(bytes[3]) << 24
            : 0
        return sin
    }

    static func peerAddress(of fd: Int32) -> String {
        var sin = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let result = withUnsafeMutablePointer(to: &sin) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &length) }
        }
        guard result == 0 else { return "unknown" }
        let raw = sin.sin_addr.s_addr
        return "\(raw & 0xff).\(raw >> 8 & 0xff).\(raw >> 16 & 0xff).\(raw >> 24 & 0xff)"
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }
}
