/// One execution's input: the runtime's variables, the parsed config and the raw bytes of
/// standard input (a delegated IPAM plugin gets exactly those bytes).
public struct CNIRequest: Sendable {
    public var environment: CNIEnvironment
    public var config: NetworkConfig
    public var input: [UInt8]

    public init(environment: CNIEnvironment, config: NetworkConfig, input: [UInt8]) {
        self.environment = environment
        self.config = config
        self.input = input
    }
}

/// What a CNI plugin does for each command; ``CNIInvocation`` does the protocol around it
/// (environment and version checks, reply and error objects). Errors are CNI error objects.
public protocol CNIHandler: Sendable {
    /// ADD: the result to print, in the config's version.
    func add(_ request: CNIRequest) async throws(CNIError) -> CNIResult
    /// DEL: removes what ADD made; must tolerate repeated calls and missing state.
    func delete(_ request: CNIRequest) async throws(CNIError)
    /// CHECK: throws when the container's network is not what ADD made.
    func check(_ request: CNIRequest) async throws(CNIError)
    /// STATUS: throws (code 50) when the plugin cannot service ADD.
    func status(_ request: CNIRequest) async throws(CNIError)
    /// GC: removes what belongs to attachments the runtime no longer lists.
    func garbageCollect(_ request: CNIRequest) async throws(CNIError)
}
