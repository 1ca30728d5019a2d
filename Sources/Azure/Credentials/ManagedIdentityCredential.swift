import Foundation

/// A managed identity, through the IMDS token endpoint of the VM the process runs on.
public struct ManagedIdentityCredential: TokenCredential {
    /// Which identity of the VM: the only system-assigned one, or a user-assigned one.
    public enum Identity: Sendable, Equatable {
        case systemAssigned
        case clientID(String)
        case resourceID(String)

        /// `userAssignedIdentityID` of the cloud config: a full ARM ID selects by resource ID, anything else is a
        /// client ID, and empty means the system-assigned identity.
        public init(userAssignedIdentityID: String) {
            if userAssignedIdentityID.isEmpty {
                self = .systemAssigned
            } else if userAssignedIdentityID.lowercased().contains("/subscriptions/") {
                self = .resourceID(userAssignedIdentityID)
            } else {
                self = .clientID(userAssignedIdentityID)
            }
        }
    }

    public static let apiVersion = "2018-02-01"
    public let identity: Identity
    private let imds: IMDSClient
    private let resource: String

    public init(identity: Identity, environment: AzureEnvironment, imds: IMDSClient) {
        self.identity = identity
        self.imds = imds
        resource = environment.tokenAudience
    }

    public func token() async throws(CredentialError) -> AccessToken {
        var query = [("api-version", Self.apiVersion), ("resource", resource)]
        switch identity {
        case .systemAssigned: break
        case .clientID(let id): query.append(("client_id", id))
        case .resourceID(let id): query.append(("msi_res_id", id))
        }
        let path = "/metadata/identity/oauth2/token"
        let body: [UInt8]
        do {
            body = try await imds.get(path, query: query)
        } catch {
            throw .managedIdentity(error)
        }
        let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
        return try parseTokenAnswer(object, url: imds.endpoint + path)
    }

    public var description: String {
        switch identity {
        case .systemAssigned: "system-assigned managed identity"
        case .clientID(let id): "user-assigned managed identity (client ID \(id))"
        case .resourceID(let id): "user-assigned managed identity (\(id))"
        }
    }
}
