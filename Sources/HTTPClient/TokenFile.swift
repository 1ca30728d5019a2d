import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A bearer token kept in a file that may be replaced at any time. Kubelet rotates projected
/// service-account tokens by swapping a symlink, which gives the path a new inode; an in-place
/// rewrite changes size or times. Each use `stat`s the file and reads it again when any of those
/// changed, or when the cached copy is a minute old (a rewrite within one timestamp tick with the
/// same length is otherwise invisible).
final class TokenFile: Sendable {
    let path: String
    private let cached = Mutex<(identity: FileIdentity, readAt: ContinuousClock.Instant, token: String)?>(nil)
    private static let maximumAge = Duration.seconds(60)
    private static let maximumSize = 1 << 20

    init(path: String) { self.path = path }

    func token() throws(HTTPClientError) -> String {
        let identity = try FileIdentity(path: path)
        let now = ContinuousClock.now
        if let entry = cached.withLock({ $0 }), entry.identity == identity, now - entry.readAt < Self.maximumAge {
            return entry.token
        }
        let token = try Self.read(path: path)
        cached.withLock { $0 = (identity, now, token) }
        return token
    }

    private static func read(path: String) throws(HTTPClientError) -> String {
        let bytes = try readFile(path: path, limit: maximumSize)
        let token = String(decoding: bytes, as: UTF8.self).trimmingWhitespace
        guard !token.isEmpty else { throw .fileNotReadable(path: path, reason: "the token file is empty") }
        guard HTTPHeaders.isValidValue(token) else {
            throw .fileNotReadable(path: path, reason: "the token contains control characters")
        }
        return token
    }
}

/// What changes when a file is replaced or rewritten.
struct FileIdentity: Equatable {
    var device: UInt64
    var inode: UInt64
    var size: Int64
    var modified: (Int, Int)
    var changed: (Int, Int)

    init(path: String) throws(HTTPClientError) {
        var info = stat()
        guard stat(path, &info) == 0 else { throw .fileNotReadable(path: path, reason: systemError(errno)) }
        guard info.st_mode & S_IFMT == S_IFREG else { throw .fileNotReadable(path: path, reason: "not a regular file") }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        size = Int64(info.st_size)
        modified = (info.st_mtim.tv_sec, info.st_mtim.tv_nsec)
        changed = (info.st_ctim.tv_sec, info.st_ctim.tv_nsec)
    }

    static func == (a: FileIdentity, b: FileIdentity) -> Bool {
        a.device == b.device && a.inode == b.inode && a.size == b.size && a.modified == b.modified && a.changed == b.changed
    }
}

/// Reads a whole file of at most `limit` bytes.
func readFile(path: String, limit: Int) throws(HTTPClientError) -> [UInt8] {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw .fileNotReadable(path: path, reason: systemError(errno)) }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count < 0 {
            if errno == EINTR { continue }
            throw .fileNotReadable(path: path, reason: systemError(errno))
        }
        if count == 0 { return bytes }
        bytes += chunk[..<count]
        guard bytes.count <= limit else { throw .fileNotReadable(path: path, reason: "larger than \(limit) bytes") }
    }
}

/// Checks that a configured file can be read, so that a missing CA or key file is reported by name.
func checkReadable(path: String) throws(HTTPClientError) {
    guard access(path, R_OK) == 0 else { throw .fileNotReadable(path: path, reason: systemError(errno)) }
}

func systemError(_ code: Int32) -> String {
    String(cString: strerror(code))
}

extension String {
    var trimmingWhitespace: String {
        guard let first = firstIndex(where: { !$0.isWhitespace }), let last = lastIndex(where: { !$0.isWhitespace }) else { return "" }
        return String(self[first...last])
    }
}
