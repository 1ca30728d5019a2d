import Kube

/// Why the `Ready` condition of an egress gateway object has its status: where provisioning stands.
public enum ReadyReason: String, CaseIterable, Sendable {
    /// The spec fails validation; nothing is provisioned until it is fixed.
    case invalidSpec = "InvalidSpec"
    /// The internal load balancer frontend and rule are not there yet.
    case waitingForLoadBalancer = "WaitingForLoadBalancer"
    /// The gateway VMs have no egress IPs (public IP prefix or secondary IPs) yet.
    case waitingForGatewayIPs = "WaitingForGatewayIPs"
    /// Everything is in place: pods can use the gateway.
    case provisioned = "Provisioned"
    /// Deletion was requested but cleanup cannot finish (Azure resources or children still hold it).
    case deletionBlocked = "DeletionBlocked"

    /// `True` only when provisioned.
    public var conditionStatus: ConditionStatus { self == .provisioned ? .true : .false }
}

/// A status with standard conditions and the generation they describe.
public protocol ConditionedStatus {
    var conditions: [Condition] { get set }
    var observedGeneration: Int64 { get set }
}

extension ConditionedStatus {
    /// The `Ready` condition type.
    public static var readyConditionType: String { "Ready" }

    /// The `Ready` condition, if set.
    public var readyCondition: Condition? { conditions.condition(ofType: Self.readyConditionType) }

    /// Sets `Ready` from `reason` and records `generation` as observed. `lastTransitionTime` moves only when the
    /// status flips. Returns whether the status changed (so that the caller writes it only then).
    @discardableResult
    public mutating func setReady(_ reason: ReadyReason, message: String, generation: Int64,
                                  now: Timestamp = .now()) -> Bool {
        let condition = Condition(type: Self.readyConditionType, status: reason.conditionStatus,
                                  reason: reason.rawValue, message: message, observedGeneration: generation)
        let conditionChanged = conditions.set(condition, now: now)
        guard observedGeneration != generation else { return conditionChanged }
        observedGeneration = generation
        return true
    }
}

extension StaticGatewayConfigurationStatus: ConditionedStatus {}
extension GatewayLBConfigurationStatus: ConditionedStatus {}
extension GatewayVMConfigurationStatus: ConditionedStatus {}
