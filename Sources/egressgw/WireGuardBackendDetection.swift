import Netlink
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Which WireGuard implementation this host offers, as `egressgw version` reports it: `kernel` when
/// the `wireguard` generic-netlink family is registered, `userspace (wireguard-go)` when
/// `wireguard-go` is on `PATH`, otherwise `none`.
func detectWireGuardBackend() -> String {
    if let socket = try? NetlinkSocket(protocol: NetlinkSocket.generic),
       (try? GenericNetlink.resolve("wireguard", on: socket)) != nil {
        return "kernel"
    }
    let path = getenv("PATH").map { String(cString: $0) } ?? ""
    let userspace = path.split(separator: ":").contains { directory in
        access("\(directory)/wireguard-go", X_OK) == 0
    }
    return userspace ? "userspace (wireguard-go)" : "none"
}
