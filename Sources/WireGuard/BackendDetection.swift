import Netlink
#if canImport(Glibc)
import Glibc
#endif

/// Finds out which WireGuard implementation this host offers, without creating anything.
public enum BackendDetection {
    /// The backend ``WireGuardOptions/Backend/automatic`` would pick, or nil when there is none.
    /// Cheap and needs no privileges: one generic-netlink lookup and a `PATH` search.
    public static func detect(options: WireGuardOptions = WireGuardOptions()) -> WireGuardBackendKind? {
        if (try? kernelFamily()) != nil { return .kernel }
        if let path = findExecutable(options.userspaceExecutable) { return .userspace(executable: path) }
        return nil
    }

    /// `kernel`, `userspace (wireguard-go)` or `none`, for `egressgw version`.
    public static func summary(options: WireGuardOptions = WireGuardOptions()) -> String {
        detect(options: options)?.description ?? "none"
    }

    /// Resolves the generic-netlink family `wireguard`. Families are global, so any namespace
    /// answers the same; the lookup makes the kernel load the module when it exists but is not
    /// loaded yet, so "not found" really means the kernel cannot do WireGuard.
    static func kernelFamily(on socket: NetlinkSocket? = nil) throws -> GenericNetlinkFamily {
        let socket = try socket ?? NetlinkSocket(protocol: NetlinkSocket.generic)
        return try GenericNetlink.resolve(KernelProtocol.familyName, on: socket)
    }

    /// The absolute path of an executable given as a path or a name on `PATH`; nil when there is none.
    static func findExecutable(_ name: String) -> String? {
        guard !name.isEmpty else { return nil }
        if name.contains("/") { return access(name, X_OK) == 0 ? name : nil }
        for directory in searchPath.split(separator: ":") where access("\(directory)/\(name)", X_OK) == 0 {
            return "\(directory)/\(name)"
        }
        return nil
    }

    static var searchPath: String {
        getenv("PATH").map { String(cString: $0) } ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    }
}
