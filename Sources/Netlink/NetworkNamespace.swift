import CMnl
#if canImport(Glibc)
import Glibc
#endif

/// A network namespace, identified by a path that opens it: a name under `/var/run/netns` (as
/// `ip netns add` makes them), `/proc/<pid>/ns/net`, or a CNI runtime's `CNI_NETNS` path.
///
/// Code runs inside a namespace on a dedicated thread that `setns`es and then exits, so a
/// namespace switch can never leak into the cooperative thread pool or into another caller.
public struct NetworkNamespace: Hashable, Sendable, CustomStringConvertible {
    /// Where named namespaces live, as in iproute2.
    public static let runDirectory = "/var/run/netns"
    /// The namespace this process started in.
    public static let process = NetworkNamespace(path: "/proc/self/ns/net")

    public let path: String

    /// A namespace at `path`; nothing is checked until it is used.
    public init(path: String) { self.path = path }

    /// The named namespace `/var/run/netns/<name>`; throws ``NetlinkError/notFound(operation:)`` if
    /// it does not exist.
    public static func named(_ name: String) throws -> NetworkNamespace {
        try validate(name: name)
        let ns = NetworkNamespace(path: "\(runDirectory)/\(name)")
        guard access(ns.path, F_OK) == 0 else { throw NetlinkError.notFound(operation: "open netns \"\(name)\"") }
        return ns
    }

    /// The name when this is a named namespace.
    public var name: String? {
        path.hasPrefix(Self.runDirectory + "/") ? String(path.dropFirst(Self.runDirectory.count + 1)) : nil
    }

    public var description: String { name.map { "netns \"\($0)\"" } ?? "netns \(path)" }

    public var exists: Bool { access(path, F_OK) == 0 }

    // MARK: Create and delete (iproute2 semantics)

    /// Creates `/var/run/netns/<name>` the way `ip netns add` does: a fresh namespace kept alive by a
    /// bind mount on a file in a shared mount point, so other mount namespaces see it too.
    public static func create(named name: String) throws -> NetworkNamespace {
        try validate(name: name)
        try makeRunDirectoryShared(operation: "create netns \"\(name)\"")
        return try create(atPath: "\(runDirectory)/\(name)")
    }

    /// Creates a fresh namespace kept alive by a bind mount on a new file at `path`, in a directory
    /// the caller chose (a node's own `/var/run/netns` in the Sandbox). Whether mount namespaces
    /// see it depends on the propagation of the directory's mount, which is the caller's to set.
    public static func create(atPath path: String) throws -> NetworkNamespace {
        let operation = "create netns at \(path)"
        let ns = NetworkNamespace(path: path)
        let fd = open(ns.path, O_RDONLY | O_CREAT | O_EXCL, 0)
        guard fd >= 0 else { throw NetlinkError(operation: operation, errno: errno) }
        close(fd)
        do {
            try onDedicatedThread {
                guard egressgw_unshare_net() == 0 else { throw NetlinkError(operation: operation, errno: errno) }
                let own = "/proc/self/task/\(egressgw_gettid())/ns/net"
                guard mount(own, ns.path, "none", UInt(MS_BIND), nil) == 0 else {
                    throw NetlinkError(operation: operation, errno: errno)
                }
            }
        } catch {
            unlink(ns.path)
            throw error
        }
        return ns
    }

    /// Unmounts and removes a named namespace. Processes still inside keep it alive, as with iproute2.
    public func delete() throws {
        let operation = "delete \(self)"
        guard exists else { throw NetlinkError.notFound(operation: operation) }
        if umount2(path, Int32(MNT_DETACH)) != 0, errno != EINVAL {
            throw NetlinkError(operation: operation, errno: errno)
        }
        guard unlink(path) == 0 else { throw NetlinkError(operation: operation, errno: errno) }
    }

    // MARK: Running code inside

    /// Runs `body` on a new thread that has entered this namespace, and waits for it. Sockets opened
    /// and processes started by `body` belong to the namespace.
    public func perform<T>(_ body: () throws -> T) throws -> T {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw NetlinkError(operation: "open \(self)", errno: errno) }
        defer { close(fd) }
        let target = self
        return try withoutActuallyEscaping(body) { body in
            let work = UncheckedBox(body)
            return try Self.onDedicatedThread {
                guard egressgw_setns_net(fd) == 0 else {
                    throw NetlinkError(operation: "enter \(target)", errno: errno)
                }
                return UncheckedBox(try work.value())
            }.value
        }
    }

    /// Async form of ``perform(_:)``: the caller's task suspends instead of blocking a pool thread.
    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let target = self
            Self.detachThread {
                continuation.resume(with: Result { try target.perform(body) })
            }
        }
    }

    /// Writes a sysctl as seen from inside this namespace (`net.ipv4.ip_forward` → `/proc/sys/net/ipv4/ip_forward`).
    public func writeSysctl(_ key: String, _ value: String) throws {
        let file = Self.sysctlPath(key)
        try perform {
            let fd = open(file, O_WRONLY | O_CLOEXEC)
            guard fd >= 0 else { throw NetlinkError(operation: "write sysctl \(key) in \(self)", errno: errno) }
            defer { close(fd) }
            let bytes = Array(value.utf8)
            guard write(fd, bytes, bytes.count) == bytes.count else {
                throw NetlinkError(operation: "write sysctl \(key)=\(value) in \(self)", errno: errno)
            }
        }
    }

    /// Reads a sysctl as seen from inside this namespace, without the trailing newline.
    public func readSysctl(_ key: String) throws -> String {
        let file = Self.sysctlPath(key)
        return try perform {
            guard let handle = fopen(file, "r") else { throw NetlinkError(operation: "read sysctl \(key) in \(self)", errno: errno) }
            defer { fclose(handle) }
            var buffer = [CChar](repeating: 0, count: 256)
            guard fgets(&buffer, Int32(buffer.count), handle) != nil else { return "" }
            let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            return text.hasSuffix("\n") ? String(text.dropLast()) : text
        }
    }

    // MARK: Helpers

    static func sysctlPath(_ key: String) -> String {
        "/proc/sys/" + key.split(separator: ".", omittingEmptySubsequences: false).joined(separator: "/")
    }

    /// Namespace names become file names and `ip netns` arguments: keep them to one path element.
    static func validate(name: String) throws {
        guard !name.isEmpty, name.utf8.count <= 255, !name.contains("/"), name != ".", name != ".." else {
            throw NetlinkError.invalidArgument(operation: "netns name", reason: "\"\(name)\" must be a non-empty file name without '/'")
        }
    }

    private static func makeRunDirectoryShared(operation: String) throws {
        if mkdir(runDirectory, 0o755) != 0, errno != EEXIST { throw NetlinkError(operation: operation, errno: errno) }
        // A bind mount of the directory onto itself makes it a mount point that can be shared, so a
        // namespace created here propagates into mount namespaces cloned from this one (iproute2 does
        // the same).
        if mount("", runDirectory, "none", UInt(MS_SHARED | MS_REC), nil) == 0 { return }
        guard errno == EINVAL,
              mount(runDirectory, runDirectory, "none", UInt(MS_BIND | MS_REC), nil) == 0,
              mount("", runDirectory, "none", UInt(MS_SHARED | MS_REC), nil) == 0 else {
            throw NetlinkError(operation: operation + " (share \(runDirectory))", errno: errno)
        }
    }

    /// Runs `body` on a fresh thread and waits. The thread exits afterwards, so whatever namespace
    /// it entered dies with it.
    static func onDedicatedThread<T>(_ body: () throws -> T) throws -> T {
        try withoutActuallyEscaping(body) { body in
            let work = UncheckedBox(body)
            let result = ResultBox<T>()
            let done = UncheckedBox(result)
            var thread = pthread_t()
            let context = Unmanaged.passRetained(ThreadWork {
                done.value.result = Result { try work.value() }
            }).toOpaque()
            let status = pthread_create(&thread, nil, { raw in
                let work = Unmanaged<ThreadWork>.fromOpaque(raw!).takeRetainedValue()
                work.body()
                return nil
            }, context)
            guard status == 0 else {
                Unmanaged<ThreadWork>.fromOpaque(context).release()
                throw NetlinkError(operation: "start namespace thread", errno: status)
            }
            pthread_join(thread, nil)
            return try result.result!.get()
        }
    }

    /// Runs `body` on a fresh detached thread.
    static func detachThread(_ body: @escaping @Sendable () -> Void) {
        var thread = pthread_t()
        let context = Unmanaged.passRetained(ThreadWork(body)).toOpaque()
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        defer { pthread_attr_destroy(&attributes) }
        let status = pthread_create(&thread, &attributes, { raw in
            Unmanaged<ThreadWork>.fromOpaque(raw!).takeRetainedValue().body()
            return nil
        }, context)
        if status != 0 {
            Unmanaged<ThreadWork>.fromOpaque(context).takeRetainedValue().body()
        }
    }
}

private final class ThreadWork: @unchecked Sendable {
    let body: () -> Void
    init(_ body: @escaping () -> Void) { self.body = body }
}

private final class ResultBox<T>: @unchecked Sendable {
    var result: Result<T, any Error>?
}
