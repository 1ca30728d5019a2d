#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The cni-manager's API on its unix socket, version 1: JSON over HTTP/1.1, one POST path per
/// operation of upstream-cni §3.3 plus GC and status. Both ends (``ManagerServer`` and
/// ``ManagerSocketClient``) encode exactly these types, so the wire format lives in one place.
///
/// Errors are a non-2xx status with an ``ErrorBody``; the status says how the plugin reacts
/// (400/404/422: refused, 503: not ready, try later; 500/504: the manager or the API server failed).
public enum ManagerAPI {
    /// Path prefix of this version; a future incompatible version gets its own.
    public static let version = "v1"

    /// The operations and their paths.
    public enum Operation: String, CaseIterable, Sendable {
        case podAnnotations = "pod-annotations"
        case nicAdd = "nic-add"
        case nicDel = "nic-del"
        case garbageCollect = "gc"
        case status

        public var path: String { "/\(ManagerAPI.version)/\(rawValue)" }
    }

    /// The largest request body the server reads; the biggest is a GC list of container IDs.
    public static let maximumRequestSize = 256 * 1024

    /// A pod by namespace and name.
    public struct Pod: Codable, Hashable, Sendable {
        public var namespace: String
        public var name: String

        public init(namespace: String, name: String) {
            self.namespace = namespace
            self.name = name
        }
    }

    public struct PodAnnotationsRequest: Codable, Sendable {
        public var pod: Pod
        public init(pod: Pod) { self.pod = pod }
    }

    public struct PodAnnotationsResponse: Codable, Sendable {
        public var annotations: [String: String]
        public init(annotations: [String: String]) { self.annotations = annotations }
    }

    /// upstream `NicAddRequest` plus the sandbox; keys and CIDRs as text.
    public struct NicAddRequest: Codable, Sendable, Equatable {
        public var pod: Pod
        /// `CNI_CONTAINERID`: the sandbox the PodEndpoint will belong to.
        public var containerID: String
        public var gatewayName: String
        /// The pod's WireGuard public key, base64.
        public var publicKey: String
        public var listenPort: Int
        /// The pod's IPv4 address as a /32.
        public var allowedIP: String

        public init(pod: Pod, containerID: String, gatewayName: String, publicKey: String, listenPort: Int,
                    allowedIP: String) {
            self.pod = pod
            self.containerID = containerID
            self.gatewayName = gatewayName
            self.publicKey = publicKey
            self.listenPort = listenPort
            self.allowedIP = allowedIP
        }
    }

    /// upstream `NicAddResponse`: the gateway's end of the tunnel and the routing mode.
    public struct NicAddResponse: Codable, Sendable, Equatable {
        public var endpointIP: String
        public var endpointPort: Int
        /// The gateway's WireGuard public key, base64.
        public var publicKey: String
        public var exceptionCIDRs: [String]
        /// `staticEgressGateway` or `azureNetworking` (the SGC's `spec.defaultRoute` spelling).
        public var defaultRoute: String

        public init(endpointIP: String, endpointPort: Int, publicKey: String, exceptionCIDRs: [String],
                    defaultRoute: String) {
            self.endpointIP = endpointIP
            self.endpointPort = endpointPort
            self.publicKey = publicKey
            self.exceptionCIDRs = exceptionCIDRs
            self.defaultRoute = defaultRoute
        }
    }

    public struct NicDelRequest: Codable, Sendable {
        public var pod: Pod
        public var containerID: String
        public init(pod: Pod, containerID: String) {
            self.pod = pod
            self.containerID = containerID
        }
    }

    public struct NicDelResponse: Codable, Sendable {
        /// False when there was nothing of this sandbox to remove (none, or a newer sandbox's).
        public var removed: Bool
        public init(removed: Bool) { self.removed = removed }
    }

    /// CNI GC's `cni.dev/valid-attachments`, reduced to the sandboxes.
    public struct GarbageCollectRequest: Codable, Sendable {
        public var validContainerIDs: [String]
        public init(validContainerIDs: [String]) { self.validContainerIDs = validContainerIDs }
    }

    public struct GarbageCollectResponse: Codable, Sendable {
        /// `namespace/name` of every PodEndpoint removed.
        public var removed: [String]
        public init(removed: [String]) { self.removed = removed }
    }

    public struct StatusResponse: Codable, Sendable {
        public var version: String
        public var node: String
        /// Whether the chained conflist is in place (the node taint's condition).
        public var conflistInstalled: Bool
        public init(version: String, node: String, conflistInstalled: Bool) {
            self.version = version
            self.node = node
            self.conflistInstalled = conflistInstalled
        }
    }

    /// The body of every error answer.
    public struct ErrorBody: Codable, Sendable {
        public var message: String
        public init(message: String) { self.message = message }
    }

    static func encode(_ value: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Every type here is strings, integers and arrays of them: encoding cannot fail.
        return (try? Array(encoder.encode(value))) ?? Array("{}".utf8)
    }
}
