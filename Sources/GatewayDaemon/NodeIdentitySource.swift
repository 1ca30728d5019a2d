import Kube
import Logging

/// Where the daemon learns its ``NodeIdentity``: the Azure instance metadata service on a real
/// node, fixed values in the sandbox and in tests.
public protocol NodeIdentitySource: Sendable {
    func nodeIdentity() async throws -> NodeIdentity
}

/// An identity given up front.
public struct FixedNodeIdentity: NodeIdentitySource {
    public let identity: NodeIdentity

    public init(_ identity: NodeIdentity) { self.identity = identity }

    public func nodeIdentity() async throws -> NodeIdentity { identity }
}

extension NodeIdentitySource {
    /// Asks until an answer comes, waiting `backoff` between failures: the metadata service can be
    /// briefly unreachable while a node boots, and the Go daemon's exit on the first failure only
    /// trades a retry here for a container restart with the kubelet's longer backoff. Throws
    /// only `CancellationError`.
    public func nodeIdentity(retrying backoff: ExponentialBackoff, logger: Logger) async throws -> NodeIdentity {
        var failures = 0
        while true {
            do {
                return try await nodeIdentity()
            } catch {
                try Task.checkCancellation()
                logger.warning("unable to retrieve node metadata, retrying", metadata: [
                    "error": "\(error)", "failures": "\(failures + 1)",
                ])
                try await Task.sleep(for: backoff.delay(afterFailures: failures))
                failures += 1
            }
        }
    }
}
