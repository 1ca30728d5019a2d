// Thread: the inotify reader blocks in poll(2) and must not hold a cooperative-pool thread.
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Tells when anything in one directory changes (inotify: create, delete, write, rename,
/// attributes), without saying what: the reader reconciles the whole directory, so bursts of
/// events coalesce into one wake-up.
///
/// Reading inotify blocks, so a dedicated thread polls it and a pipe that ``stop()`` writes to.
public final class DirectoryWatcher: Sendable {
    public let path: String
    /// One element per burst of changes; finishes after ``stop()``.
    public let changes: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation
    private let inotify: Int32
    private let stopPipe: (read: Int32, write: Int32)
    private let stopped = Mutex(false)

    public init(path: String) throws(ConflistError) {
        self.path = path
        inotify = inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK))
        guard inotify >= 0 else { throw .io(path: path, operation: "inotify_init1 for", errno: errno) }
        let mask = UInt32(IN_CREATE | IN_DELETE | IN_CLOSE_WRITE | IN_MODIFY | IN_MOVED_FROM | IN_MOVED_TO | IN_ATTRIB
                          | IN_DELETE_SELF | IN_MOVE_SELF)
        guard inotify_add_watch(inotify, path, mask) >= 0 else {
            let code = errno
            close(inotify)
            throw .io(path: path, operation: "watch", errno: code)
        }
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else {
            let code = errno
            close(inotify)
            throw .io(path: path, operation: "pipe for watching", errno: code)
        }
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        stopPipe = (fds[0], fds[1])
        (changes, continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
        let thread = Thread { [inotify, stopPipe, continuation] in
            Self.loop(inotify: inotify, stop: stopPipe.read, continuation: continuation)
        }
        thread.name = "inotify \(path)"
        thread.start()
    }

    /// Ends the stream and the thread.
    public func stop() {
        let first = stopped.withLock { stopped in
            defer { stopped = true }
            return !stopped
        }
        guard first else { return }
        var byte: UInt8 = 1
        _ = write(stopPipe.write, &byte, 1)
    }

    deinit {
        stop()
        close(stopPipe.write)
    }

    private static func loop(inotify: Int32, stop: Int32, continuation: AsyncStream<Void>.Continuation) {
        defer {
            continuation.finish()
            close(inotify)
            close(stop)
        }
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            var fds = [pollfd(fd: inotify, events: Int16(POLLIN), revents: 0), pollfd(fd: stop, events: Int16(POLLIN), revents: 0)]
            let ready = poll(&fds, 2, -1)
            if ready < 0 {
                if errno == EINTR { continue }
                return
            }
            if fds[1].revents != 0 { return }
            guard fds[0].revents != 0 else { continue }
            // Drain everything queued: one wake-up per burst.
            while read(inotify, &buffer, buffer.count) > 0 {}
            continuation.yield()
        }
    }
}
