/// How a ``WireGuardClient`` picks and drives its backend.
public struct WireGuardOptions: Equatable, Sendable {
    /// Which backend to use.
    public enum Backend: Equatable, Sendable {
        /// The kernel if it has WireGuard, else the userspace implementation if it is installed.
        case automatic
        case kernel
        case userspace
    }

    public var backend: Backend
    /// The userspace implementation: a name looked up on `PATH`, or a path.
    public var userspaceExecutable: String
    /// Where userspace implementations put their UAPI sockets (`<name>.sock`).
    public var socketDirectory: String
    /// How long device creation waits for a userspace implementation's socket.
    public var creationTimeout: Duration

    public init(backend: Backend = .automatic, userspaceExecutable: String = "wireguard-go",
                socketDirectory: String = "/var/run/wireguard", creationTimeout: Duration = .seconds(5)) {
        self.backend = backend
        self.userspaceExecutable = userspaceExecutable
        self.socketDirectory = socketDirectory
        self.creationTimeout = creationTimeout
    }
}
