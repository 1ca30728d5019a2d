import Netlink
#if canImport(Glibc)
import Glibc
#endif

/// Which namespace a path opens: two paths name the same namespace exactly when the files they
/// open have the same device and inode (how libcni's skel compares `CNI_NETNS` with its own).
struct NamespaceIdentity: Equatable {
    let device: UInt64
    let inode: UInt64

    /// Nil when the path cannot be examined.
    init?(_ namespace: NetworkNamespace) {
        var info = stat()
        guard stat(namespace.path, &info) == 0 else { return nil }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
    }
}
