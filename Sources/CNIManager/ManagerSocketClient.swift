#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CNIPlugin
import HTTPClient
import Netlink
import WireGuard

/// The plugin's side of ``ManagerAPI``: ``EgressManagerClient`` over the cni-manager's unix socket.
///
/// Every call is short-bounded (connect 1 s; nicDel 3 s, so DEL never waits long; the others
/// 15 s, under the runtime's own CNI timeout). A missing socket or a timeout is
/// ``EgressManagerError/unreachable(_:)``, a gateway without an address yet
/// ``EgressManagerError/notReady(_:)`` (both: try again later), a refused request
/// ``EgressManagerError/rejected(_:)``.
public struct ManagerSocketClient: EgressManagerClient {
    public let socketPath: String
    private let client: HTTPClient

    public init(socketPath: String) throws(EgressManagerError) {
        self.socketPath = socketPath
        do {
            client = try HTTPClient(configuration: HTTPClient.Configuration(
                proxy: .none, unixSocketPath: socketPath,
                timeouts: HTTPTimeouts(connect: .seconds(1), total: .seconds(15)), maximumResponseSize: 1 << 20))
        } catch {
            throw .unreachable("cannot create a client for \(socketPath): \(error)")
        }
    }

    public func podAnnotations(of pod: PodReference) async throws(EgressManagerError) -> [String: String] {
        let response: ManagerAPI.PodAnnotationsResponse = try await call(
            .podAnnotations, ManagerAPI.PodAnnotationsRequest(pod: .init(pod)))
        return response.annotations
    }

    public func nicAdd(_ request: CNIPlugin.NicAddRequest) async throws(EgressManagerError) -> GatewayAssignment {
        let response: ManagerAPI.NicAddResponse = try await call(.nicAdd, ManagerAPI.NicAddRequest(
            pod: .init(request.pod), containerID: request.containerID, gatewayName: request.gatewayName,
            publicKey: request.publicKey.base64, listenPort: Int(request.listenPort),
            allowedIP: request.allowedIP.description))
        return try Self.assignment(response, gateway: "\(request.pod.namespace)/\(request.gatewayName)")
    }

    public func nicDel(_ request: CNIPlugin.NicDelRequest) async throws(EgressManagerError) {
        let _: ManagerAPI.NicDelResponse = try await call(
            .nicDel, ManagerAPI.NicDelRequest(pod: .init(request.pod), containerID: request.containerID),
            timeout: .seconds(3))
    }

    /// Removes the PodEndpoints of this node's sandboxes that are not in `validContainerIDs`.
    public func collectGarbage(validContainerIDs: [String]) async throws(EgressManagerError) -> [String] {
        let response: ManagerAPI.GarbageCollectResponse = try await call(
            .garbageCollect, ManagerAPI.GarbageCollectRequest(validContainerIDs: validContainerIDs))
        return response.removed
    }

    public func checkAvailable() async throws(EgressManagerError) {
        _ = try await status()
    }

    /// The manager's status; fails when it does not answer within `timeout`.
    public func status(timeout: Duration = .seconds(2)) async throws(EgressManagerError) -> ManagerAPI.StatusResponse {
        let response = try await send(HTTPRequest(method: .get, url: url(.status),
                                                  timeouts: HTTPTimeouts(connect: .seconds(1), total: timeout)))
        return try decode(response, .status)
    }

    // MARK: Wire

    private func url(_ operation: ManagerAPI.Operation) -> String { "http://cni-manager" + operation.path }

    private func call<Output: Decodable>(_ operation: ManagerAPI.Operation, _ input: some Encodable,
                                         timeout: Duration? = nil) async throws(EgressManagerError) -> Output {
        let request = HTTPRequest(method: .post, url: url(operation), headers: ["Content-Type": "application/json"],
                                  body: ManagerAPI.encode(input),
                                  timeouts: timeout.map { HTTPTimeouts(connect: .seconds(1), total: $0) })
        return try decode(try await send(request), operation)
    }

    private func send(_ request: HTTPRequest) async throws(EgressManagerError) -> HTTPResponse {
        do {
            return try await client.execute(request)
        } catch {
            throw .unreachable("\(socketPath): \(error)")
        }
    }

    private func decode<Output: Decodable>(_ response: HTTPResponse, _ operation: ManagerAPI.Operation)
        throws(EgressManagerError) -> Output
    {
        guard response.status == 200 else {
            let message = (try? JSONDecoder().decode(ManagerAPI.ErrorBody.self, from: Data(response.body)))?.message
                ?? "HTTP \(response.status): \(response.text.prefix(200))"
            switch response.status {
            case 503: throw .notReady(message)
            case 400..<500: throw .rejected(message)
            default: throw .unreachable("\(operation.rawValue) failed in the cni-manager: \(message)")
            }
        }
        do {
            return try JSONDecoder().decode(Output.self, from: Data(response.body))
        } catch {
            throw .unreachable("\(operation.rawValue): the cni-manager's answer does not decode: \(error)")
        }
    }

    /// The plugin's view of the answer; a malformed value is the gateway's fault, named with it.
    static func assignment(_ response: ManagerAPI.NicAddResponse, gateway: String) throws(EgressManagerError)
        -> GatewayAssignment
    {
        guard let address = IPAddress(response.endpointIP), let port = UInt16(exactly: response.endpointPort), port != 0 else {
            throw .rejected("StaticGatewayConfiguration \(gateway): status.gatewayServerProfile ip \"\(response.endpointIP)\" port \(response.endpointPort) is not an endpoint")
        }
        let key: PublicKey
        do {
            key = try PublicKey(base64: response.publicKey)
        } catch {
            throw .rejected("StaticGatewayConfiguration \(gateway): status.gatewayServerProfile.publicKey: \(error)")
        }
        var cidrs: [IPNetwork] = []
        for text in response.exceptionCIDRs {
            guard let network = IPNetwork(text) else {
                throw .rejected("StaticGatewayConfiguration \(gateway): spec.excludeCidrs entry \"\(text)\" is not a CIDR")
            }
            cidrs.append(network)
        }
        let mode = DefaultRouteMode(rawValue: response.defaultRoute) ?? .staticEgressGateway
        return GatewayAssignment(gatewayPublicKey: key, endpoint: Endpoint(address: address, port: port),
                                 exceptionCIDRs: cidrs, defaultRoute: mode)
    }
}

extension ManagerAPI.Pod {
    init(_ pod: PodReference) { self.init(namespace: pod.namespace, name: pod.name) }
}
