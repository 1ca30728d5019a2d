import Azure

/// The node's identity from the Azure instance metadata service, as the Go daemon reads it at
/// start: the instance document, and the load-balancer document, which it only requires to
/// answer. The client retries IMDS's transient answers; ``NodeIdentitySource/nodeIdentity(retrying:logger:)``
/// keeps asking after that instead of exiting.
public struct IMDSNodeIdentity: NodeIdentitySource {
    public let client: IMDSClient

    public init(client: IMDSClient) { self.client = client }

    public func nodeIdentity() async throws -> NodeIdentity {
        let instance = try await client.instance()
        _ = try await client.loadBalancer()
        return NodeIdentity(instance)
    }
}
