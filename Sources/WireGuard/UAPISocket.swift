#if canImport(Glibc)
import Glibc
#endif

/// One request/answer exchange on a userspace implementation's UNIX stream socket.
///
/// A UNIX socket path belongs to the mount namespace, not the network namespace, so this runs on
/// any thread. Reads and writes time out, so a daemon that hangs cannot hang its caller.
struct UAPISocket {
    let path: String
    let device: String
    /// How long a read or write may block. The default is generous, because a `set=1` with tens of
    /// thousands of peers takes the daemon a while.
    var timeout: Duration = .seconds(30)

    /// Sends `request` and returns the answer up to and including the empty line that ends it.
    func exchange(_ request: [UInt8], operation: String) throws(WireGuardError) -> [UInt8] {
        let fd = try connect(operation: operation)
        defer { close(fd) }
        var sent = 0
        while sent < request.count {
            // MSG_NOSIGNAL: a daemon that closes early must give us EPIPE, not kill us with SIGPIPE.
            let count = request[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if count < 0 {
                if errno == EINTR { continue }
                throw failure(operation, errno)
            }
            sent += count
        }
        var answer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        // Every answer ends with an empty line, and no line inside it is empty.
        while !(answer.count >= 2 && answer[answer.count - 1] == 10 && answer[answer.count - 2] == 10) {
            let count = read(fd, &chunk, chunk.count)
            if count < 0 {
                if errno == EINTR { continue }
                throw failure(operation, errno)
            }
            guard count > 0 else {
                throw .malformedAnswer(device: device, operation: operation, reason: "\(path) closed the connection before the end of its answer")
            }
            answer += chunk[0..<count]
        }
        return answer
    }

    /// True when something accepts connections at `path`: a file left by a dead daemon does not count.
    static func isServing(_ path: String) -> Bool {
        guard let fd = try? UAPISocket(path: path, device: "").connect(operation: "probe") else { return false }
        close(fd)
        return true
    }

    private func connect(operation: String) throws(WireGuardError) -> Int32 {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard pathBytes.count < capacity else { throw failure(operation, ENAMETOOLONG) }
        withUnsafeMutableBytes(of: &address.sun_path) { destination in
            for (index, byte) in pathBytes.enumerated() { destination[index] = byte }
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw failure(operation, errno) }
        let parts = max(timeout, .milliseconds(1)).components
        var limit = timeval(tv_sec: Int(parts.seconds), tv_usec: Int(parts.attoseconds / 1_000_000_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard status == 0 else {
            let code = errno
            close(fd)
            throw failure(operation, code)
        }
        return fd
    }

    private func failure(_ operation: String, _ code: Int32) -> WireGuardError {
        .socketFailed(device: device, path: path, operation: operation, errno: code)
    }
}
