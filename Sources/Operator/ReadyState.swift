import EgressGatewayAPI
import Kube

/// Where provisioning of one SGC stands: the reason and message of its `Ready` condition, derived from the chain
/// below it so that `kubectl get sgc -o wide` says why it is stuck without reading the children.
struct ReadyState: Equatable, Sendable {
    var reason: ReadyReason
    var message: String

    static let provisioned = ReadyState(reason: .provisioned, message: "the gateway serves this configuration")

    /// Whether a failed pass says nothing about the state: the server asked to be called again later (throttling,
    /// a busy ARM, a 412). Such a pass leaves `Ready` as it was, so that a provisioned SGC does not flap, and
    /// writes nothing, so that no status event requeues it before the wait is over.
    static func isTransient(_ error: any Error) -> Bool {
        (error as? any RetryAfterError)?.retryAfter != nil
    }

    /// The SGC's state from its status and its GatewayLBConfiguration (nil: not created yet). A child whose own
    /// `Ready` is false explains the wait best, so its reason and message are taken over.
    static func of(_ status: StaticGatewayConfigurationStatus, lbConfiguration: GatewayLBConfiguration?) -> ReadyState {
        if let child = lbConfiguration?.status?.readyCondition, child.status != .true,
            let reason = ReadyReason(rawValue: child.reason)
        {
            return ReadyState(reason: reason, message: child.message)
        }
        let server = status.gatewayServerProfile
        if server.ip.isEmpty || server.port == 0 {
            return ReadyState(reason: .waitingForLoadBalancer,
                              message: "waiting for the gateway load balancer frontend and rule")
        }
        if status.egressIpPrefix.isEmpty {
            return ReadyState(reason: .waitingForGatewayIPs, message: "waiting for the gateway egress IPs")
        }
        if server.publicKey.isEmpty || server.privateKeySecretRef == nil {
            return ReadyState(reason: .waitingForGatewayIPs, message: "waiting for the gateway WireGuard key")
        }
        return .provisioned
    }
}

extension ConditionedStatus {
    /// Sets `Ready` from `state`; returns whether the status changed.
    @discardableResult
    mutating func setReady(_ state: ReadyState, generation: Int64) -> Bool {
        setReady(state.reason, message: state.message, generation: generation)
    }
}
