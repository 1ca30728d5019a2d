import Foundation
import HTTPClient

/// The endpoints of one Azure cloud: where ARM lives, where AAD issues tokens, and the audience ARM tokens name.
public struct AzureEnvironment: Sendable, Equatable, CustomStringConvertible {
    public var name: String
    /// ARM base URL without a trailing slash, e.g. `https://management.azure.com`.
    public var resourceManagerEndpoint: String
    /// AAD authority host with a trailing slash, e.g. `https://login.microsoftonline.com/`.
    public var authorityHost: String
    /// The resource managed identity tokens are requested for; `<audience>.default` is the AAD v2 scope.
    public var tokenAudience: String

    public init(name: String, resourceManagerEndpoint: String, authorityHost: String, tokenAudience: String) {
        self.name = name
        self.resourceManagerEndpoint = resourceManagerEndpoint.trimmingSuffix("/")
        self.authorityHost = authorityHost.hasSuffix("/") ? authorityHost : authorityHost + "/"
        self.tokenAudience = tokenAudience
    }

    public var description: String { "\(name) (ARM \(resourceManagerEndpoint), AAD \(authorityHost))" }

    /// The AAD v2 scope for ARM.
    public var scope: String { (tokenAudience.hasSuffix("/") ? tokenAudience : tokenAudience + "/") + ".default" }

    public static let publicCloud = AzureEnvironment(
        name: "AzurePublicCloud", resourceManagerEndpoint: "https://management.azure.com",
        authorityHost: "https://login.microsoftonline.com/", tokenAudience: "https://management.core.windows.net/")
    public static let chinaCloud = AzureEnvironment(
        name: "AzureChinaCloud", resourceManagerEndpoint: "https://management.chinacloudapi.cn",
        authorityHost: "https://login.chinacloudapi.cn/", tokenAudience: "https://management.core.chinacloudapi.cn/")
    public static let usGovernmentCloud = AzureEnvironment(
        name: "AzureUSGovernmentCloud", resourceManagerEndpoint: "https://management.usgovcloudapi.net",
        authorityHost: "https://login.microsoftonline.us/", tokenAudience: "https://management.core.usgovcloudapi.net/")

    /// The environment a cloud-config `cloud` value names, case-insensitively, with the aliases the Go code accepts.
    /// Unlike the Go code an unknown name is `nil`, not the public cloud: a typo such as `AzureGovernmentCloud`
    /// would otherwise send a government cluster's credentials to the public cloud.
    public static func named(_ name: String) -> AzureEnvironment? {
        switch name.uppercased() {
        case "AZUREPUBLICCLOUD", "AZURECLOUD": .publicCloud
        case "AZURECHINACLOUD": .chinaCloud
        case "AZUREUSGOVERNMENT", "AZUREUSGOVERNMENTCLOUD": .usGovernmentCloud
        default: nil
        }
    }

    /// Reads a custom environment (Azure Stack) from the JSON file `AZURE_ENVIRONMENT_FILEPATH` names, in the
    /// go-autorest layout (`name`, `resourceManagerEndpoint`, `activeDirectoryEndpoint`, `tokenAudience`).
    public static func load(file path: String) throws(CloudConfigError) -> AzureEnvironment {
        let object: [String: Any]
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            guard let parsed = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw CloudConfigError.invalid(source: path, field: "", reason: "not a JSON object")
            }
            object = parsed
        } catch let error as CloudConfigError {
            throw error
        } catch {
            throw .unreadable(path: path, reason: "\(error)")
        }
        func field(_ key: String) throws(CloudConfigError) -> String {
            guard let value = object[key] as? String, !value.isEmpty else {
                throw .invalid(source: path, field: key, reason: "missing or empty")
            }
            return value
        }
        return AzureEnvironment(
            name: (object["name"] as? String) ?? "AzureStackCloud", resourceManagerEndpoint: try field("resourceManagerEndpoint"),
            authorityHost: try field("activeDirectoryEndpoint"), tokenAudience: try field("tokenAudience"))
    }

    /// Discovers a cloud's endpoints from its ARM endpoint (`<arm>/metadata/endpoints?api-version=2019-05-01`), as
    /// the Go code does when `resourceManagerEndpoint` is set. Accepts both answer shapes ARM gives: one object with
    /// `authentication`, or the list of clouds, from which the one whose `resourceManager` is `arm` is taken.
    public static func discover(resourceManagerEndpoint arm: String, http: HTTPClient) async throws(CloudConfigError) -> AzureEnvironment {
        let base = arm.trimmingSuffix("/")
        let url = base + "/metadata/endpoints?api-version=2019-05-01"
        let response: HTTPResponse
        do {
            response = try await http.execute(HTTPRequest(url: url))
        } catch {
            throw .discovery(url: url, reason: "\(error)")
        }
        guard response.status == 200 else { throw .discovery(url: url, reason: "status \(response.status)") }
        let parsed = try? JSONSerialization.jsonObject(with: Data(response.body))
        var candidates = (parsed as? [[String: Any]]) ?? []
        if let single = parsed as? [String: Any] { candidates = [single] }
        let chosen = candidates.first { ($0["resourceManager"] as? String)?.trimmingSuffix("/").lowercased() == base.lowercased() }
            ?? (candidates.count == 1 ? candidates[0] : nil)
        guard let chosen, let authentication = chosen["authentication"] as? [String: Any],
              let login = authentication["loginEndpoint"] as? String, !login.isEmpty,
              let audience = (authentication["audiences"] as? [String])?.first, !audience.isEmpty
        else { throw .discovery(url: url, reason: "no authentication.loginEndpoint and audiences for \(base)") }
        return AzureEnvironment(name: (chosen["name"] as? String) ?? "AzureStackCloud", resourceManagerEndpoint: base,
                                authorityHost: login, tokenAudience: audience)
    }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String {
        var text = self
        while text.hasSuffix(suffix) { text.removeLast(suffix.count) }
        return text
    }
}
