import Netlink
import Synchronization
import WireGuard
@testable import CNIPlugin

/// An in-process cni-manager: answers from what the test set, records every call, and can run a
/// hook on nicAdd (the traffic test configures its gateway there). It stands in for the
/// Kubernetes side only; every kernel change in these tests is real.
final class FakeManager: EgressManagerClient {
    enum Call: Equatable {
        case annotations(PodReference)
        case nicAdd(NicAddRequest)
        case nicDel(NicDelRequest)
        case status
        case garbageCollect([String])
    }

    struct State {
        var calls: [Call] = []
        var annotations: [String: String] = [:]
        var assignment: GatewayAssignment
        var annotationsFailure: EgressManagerError?
        var nicAddFailure: EgressManagerError?
        var nicDelFailure: EgressManagerError?
        var statusFailure: EgressManagerError?
        var collected: [String] = []
    }

    private let state: Mutex<State>
    private let onNicAdd: @Sendable (NicAddRequest) throws -> Void

    init(annotations: [String: String] = [:], assignment: GatewayAssignment = FakeManager.defaultAssignment,
         onNicAdd: @escaping @Sendable (NicAddRequest) throws -> Void = { _ in }) {
        state = Mutex(State(annotations: annotations, assignment: assignment))
        self.onNicAdd = onNicAdd
    }

    /// The fake gateway of upstream-cni §5: endpoint 10.2.0.4:6000 and its key.
    static let defaultAssignment = GatewayAssignment(
        gatewayPublicKey: try! PublicKey(base64: "aPxGwq8zERHQ3Q1cOZFdJ+cvJX5Ka4mLN38AyYKYF10="),
        endpoint: Endpoint("10.2.0.4:6000")!)

    var calls: [Call] { state.withLock { $0.calls } }

    func update(_ change: (inout State) -> Void) { state.withLock { change(&$0) } }

    func podAnnotations(of pod: PodReference) async throws(EgressManagerError) -> [String: String] {
        let (annotations, failure) = state.withLock { state in
            state.calls.append(.annotations(pod))
            return (state.annotations, state.annotationsFailure)
        }
        if let failure { throw failure }
        return annotations
    }

    func nicAdd(_ request: NicAddRequest) async throws(EgressManagerError) -> GatewayAssignment {
        let (assignment, failure) = state.withLock { state in
            state.calls.append(.nicAdd(request))
            return (state.assignment, state.nicAddFailure)
        }
        if let failure { throw failure }
        do {
            try onNicAdd(request)
        } catch {
            throw .rejected("gateway hook failed: \(error)")
        }
        return assignment
    }

    func nicDel(_ request: NicDelRequest) async throws(EgressManagerError) {
        let failure = state.withLock { state in
            state.calls.append(.nicDel(request))
            return state.nicDelFailure
        }
        if let failure { throw failure }
    }

    func checkAvailable() async throws(EgressManagerError) {
        let failure = state.withLock { state in
            state.calls.append(.status)
            return state.statusFailure
        }
        if let failure { throw failure }
    }

    func collectGarbage(validContainerIDs: [String]) async throws(EgressManagerError) -> [String] {
        state.withLock { state in
            state.calls.append(.garbageCollect(validContainerIDs))
            return state.collected
        }
    }
}
