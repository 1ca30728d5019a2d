import Foundation
import Hummingbird
import Logging
import Synchronization

/// The Azure Instance Metadata Service as each VM sees it: the instance and load-balancer documents and the
/// managed-identity token endpoint, answered per caller (by source address) so that every sandbox node gets its
/// own identity from one server.
public final class IMDSEmulator: Sendable {
    /// What one VM's IMDS knows about it.
    public struct Instance: Sendable, Equatable {
        public var name: String
        public var computerName: String
        public var subscriptionID: String
        public var resourceGroup: String
        public var location: String
        /// Empty for a standalone VM.
        public var scaleSetName: String
        public var resourceID: String
        /// Rendered as IMDS renders them: `k1:v1;k2:v2`.
        public var tags: [String: String]
        public var privateIP: String
        public var subnetAddress: String
        public var subnetPrefixLength: Int
        public var macAddress: String
        public var publicIP: String?
        /// Managed identities the VM can get tokens for: the system-assigned one first (if any), then
        /// user-assigned ones, each by client ID and (for user-assigned) resource ID.
        public var identities: [ManagedIdentity]
        /// Load-balancer frontends for the load-balancer document.
        public var loadBalancerAddresses: [(frontend: String, privateIP: String)] = []

        public init(name: String, computerName: String, subscriptionID: String, resourceGroup: String, location: String,
                    scaleSetName: String = "", resourceID: String, tags: [String: String] = [:], privateIP: String,
                    subnetAddress: String, subnetPrefixLength: Int, macAddress: String = "000D3A000001",
                    publicIP: String? = nil, identities: [ManagedIdentity] = [])
        {
            self.name = name
            self.computerName = computerName
            self.subscriptionID = subscriptionID
            self.resourceGroup = resourceGroup
            self.location = location
            self.scaleSetName = scaleSetName
            self.resourceID = resourceID
            self.tags = tags
            self.privateIP = privateIP
            self.subnetAddress = subnetAddress
            self.subnetPrefixLength = subnetPrefixLength
            self.macAddress = macAddress
            self.publicIP = publicIP
            self.identities = identities
        }

        public static func == (left: Instance, right: Instance) -> Bool {
            left.document == right.document && left.identities == right.identities
        }

        /// The `/metadata/instance` document (the members of api-version 2021-10-01 the project reads, and more).
        public var document: ARMValue {
            var address: ARMValue = ["privateIpAddress": .string(privateIP)]
            if let publicIP { address["publicIpAddress"] = .string(publicIP) }
            return [
                "compute": [
                    "azEnvironment": "AzurePublicCloud", "location": .string(location), "name": .string(name),
                    "osType": "Linux", "osProfile": ["computerName": .string(computerName), "adminUsername": "azureuser"],
                    "resourceGroupName": .string(resourceGroup), "resourceId": .string(resourceID),
                    "subscriptionId": .string(subscriptionID), "vmScaleSetName": .string(scaleSetName),
                    "tags": .string(tags.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: ";")),
                    "tagsList": .array(tags.sorted { $0.key < $1.key }.map { ["name": .string($0.key), "value": .string($0.value)] }),
                    "vmId": .string(UUID(uuidString: "00000000-0000-4000-8000-000000000000")!.uuidString.lowercased()),
                ],
                "network": ["interface": [[
                    "ipv4": ["ipAddress": [address],
                             "subnet": [["address": .string(subnetAddress), "prefix": .string(String(subnetPrefixLength))]]],
                    "ipv6": ["ipAddress": []],
                    "macAddress": .string(macAddress),
                ]]],
            ]
        }

        /// The `/metadata/loadbalancer` document.
        public var loadBalancerDocument: ARMValue {
            ["loadbalancer": [
                "publicIpAddresses": .array(loadBalancerAddresses.map {
                    ["frontendIpAddress": .string($0.frontend), "privateIpAddress": .string($0.privateIP)]
                }),
                "inboundRules": [], "outboundRules": [],
            ]]
        }
    }

    /// A managed identity a VM may use.
    public struct ManagedIdentity: Sendable, Equatable {
        public var clientID: String
        /// The ARM ID of a user-assigned identity; nil for the system-assigned one.
        public var resourceID: String?
        public var tenant: String

        public init(clientID: String, resourceID: String? = nil, tenant: String) {
            self.clientID = clientID
            self.resourceID = resourceID
            self.tenant = tenant
        }
    }

    public let authority: TokenAuthority
    private let instances = Mutex<[String: Instance]>([:])
    private let requests = Mutex<[String]>([])

    public init(authority: TokenAuthority) {
        self.authority = authority
    }

    /// Answers callers from `address` (an IP address, as the TCP peer) with `instance`.
    public func register(_ instance: Instance, forCallerAddress address: String) {
        instances.withLock { $0[Self.normalize(address)] = instance }
    }

    public func unregister(callerAddress address: String) {
        _ = instances.withLock { $0.removeValue(forKey: Self.normalize(address)) }
    }

    /// `PATH → status` of every request so far, for tests.
    public var requestLog: [String] { requests.withLock { $0 } }

    /// An IPv4 caller of a dual-stack socket shows as `::ffff:a.b.c.d`.
    static func normalize(_ address: String) -> String {
        address.lowercased().hasPrefix("::ffff:") && address.contains(".") ? String(address.dropFirst(7)) : address
    }

    public func run(host: String = "127.0.0.1", port: Int = 0, onListening: @escaping @Sendable (Int) async -> Void = { _ in })
        async throws
    {
        let app = Application(
            responder: IMDSServer(imds: self), configuration: ApplicationConfiguration(address: .hostname(host, port: port)),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? port) },
            logger: Self.quietLogger)
        try await app.run()
    }

    public func start(host: String = "127.0.0.1", port: Int = 0) async throws -> RunningServer {
        try await RunningServer.start(host: host, port: port, scheme: "http") { [self] ready in
            try await run(host: host, port: port, onListening: ready)
        }
    }

    static var quietLogger: Logger {
        var logger = Logger(label: "imds-emulator")
        logger.logLevel = .critical
        return logger
    }

    func instance(for caller: String?) -> Instance? {
        guard let caller else { return nil }
        return instances.withLock { $0[Self.normalize(caller)] }
    }

    func record(_ line: String) { requests.withLock { $0.append(line) } }
}

/// The HTTP face of IMDS, with its refusals: a missing `Metadata: true` header, a proxied request, a missing
/// api-version.
struct IMDSServer: HTTPResponder {
    typealias Context = PeerRequestContext

    let imds: IMDSEmulator

    func respond(to request: Request, context: PeerRequestContext) async throws -> Response {
        let answer = answer(request, caller: context.peerAddress)
        imds.record("\(request.method.rawValue) \(request.uri.path) → \(answer.status)")
        return answer.response
    }

    private func answer(_ request: Request, caller: String?) -> Answer {
        let query = ARMServer.parseQuery(request.uri.query)
        func refuse(_ status: Int, _ error: String, _ description: String? = nil) -> Answer {
            var body: ARMValue = ["error": .string(error)]
            if let description { body["error_description"] = .string(description) }
            return Answer(status: status, body: body)
        }
        guard request.method == .get else { return refuse(405, "Method not allowed") }
        guard request.headers[.init("Metadata")!]?.lowercased() == "true" else {
            return refuse(400, "Bad request. Required metadata header not specified")
        }
        guard request.headers[.init("X-Forwarded-For")!] == nil else {
            return refuse(400, "Bad request. Request must not be forwarded through a proxy")
        }
        guard let version = query["api-version"], !version.isEmpty else {
            return refuse(400, "Bad request. api-version was not specified in the request")
        }
        guard let instance = imds.instance(for: caller) else {
            return refuse(404, "Not found", "no instance is registered for caller \(caller ?? "?")")
        }
        switch request.uri.path {
        case "/metadata/instance": return Answer(status: 200, body: instance.document)
        case "/metadata/loadbalancer": return Answer(status: 200, body: instance.loadBalancerDocument)
        case "/metadata/identity/oauth2/token": return token(query, instance, refuse: refuse)
        default: return refuse(404, "Not found", "no metadata at \(request.uri.path)")
        }
    }

    private func token(_ query: [String: String], _ instance: IMDSEmulator.Instance,
                       refuse: (Int, String, String?) -> Answer) -> Answer
    {
        guard let resource = query["resource"], !resource.isEmpty else {
            return refuse(400, "invalid_request", "Required query variable 'resource' is missing")
        }
        let identity: IMDSEmulator.ManagedIdentity?
        if let clientID = query["client_id"] {
            identity = instance.identities.first { $0.clientID.caseInsensitiveCompare(clientID) == .orderedSame }
        } else if let resourceID = query["msi_res_id"] ?? query["mi_res_id"] {
            identity = instance.identities.first { $0.resourceID?.caseInsensitiveCompare(resourceID) == .orderedSame }
        } else {
            identity = instance.identities.first { $0.resourceID == nil } ?? (instance.identities.count == 1 ? instance.identities[0] : nil)
        }
        guard let identity else { return refuse(400, "invalid_request", "Identity not found") }
        let (token, grant) = imds.authority.issue(subject: identity.clientID, tenant: identity.tenant, audience: resource)
        let seconds = Int(grant.expiresAt.timeIntervalSinceNow.rounded(.down))
        // IMDS renders every number as a string.
        return Answer(status: 200, body: [
            "access_token": .string(token), "client_id": .string(identity.clientID),
            "expires_in": .string(String(seconds)), "ext_expires_in": .string(String(seconds)),
            "expires_on": .string(String(Int(grant.expiresAt.timeIntervalSince1970))),
            "not_before": .string(String(Int(Date().timeIntervalSince1970))),
            "resource": .string(resource), "token_type": "Bearer",
        ])
    }
}
