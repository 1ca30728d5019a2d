import WireGuard

/// Which WireGuard implementation this host offers, as `egressgw version` reports it: `kernel`,
/// `userspace (wireguard-go)` or `none` (the WireGuard module's own detection, which creates nothing).
func detectWireGuardBackend() -> String {
    BackendDetection.summary()
}
