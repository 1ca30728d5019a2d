import Foundation
import Testing
import TestSupport
@testable import Azure

@Suite("CloudConfig")
struct CloudConfigTests {
    /// The shape of `/etc/kubernetes/azure.json` on an AKS node (values made up), with keys this code ignores.
    static let aksAzureJSON = """
    {
        "cloud": "AzurePublicCloud",
        "tenantId": "72f988bf-0000-0000-0000-2d7cd011db47",
        "subscriptionId": "feb5b150-0000-0000-0000-e1f6f4bfa8f1",
        "aadClientId": "msi",
        "aadClientSecret": "msi",
        "resourceGroup": "MC_rg_cluster_westus2",
        "location": "westus2",
        "vmType": "vmss",
        "subnetName": "aks-subnet",
        "securityGroupName": "aks-agentpool-12345678-nsg",
        "vnetName": "aks-vnet-12345678",
        "vnetResourceGroup": "",
        "routeTableName": "aks-agentpool-12345678-routetable",
        "primaryAvailabilitySetName": "",
        "primaryScaleSetName": "aks-nodepool1-12345678-vmss",
        "cloudProviderBackoffMode": "v2",
        "cloudProviderBackoff": true,
        "cloudProviderBackoffRetries": 6,
        "cloudProviderBackoffDuration": 5,
        "cloudProviderRateLimit": true,
        "cloudProviderRateLimitQPS": 10,
        "cloudProviderRateLimitBucket": 100,
        "cloudProviderRateLimitQPSWrite": 10,
        "cloudProviderRateLimitBucketWrite": 100,
        "useManagedIdentityExtension": true,
        "userAssignedIdentityID": "5f3c5a5e-0000-0000-0000-8c9e8d7f6a5b",
        "useInstanceMetadata": true,
        "loadBalancerSku": "Standard",
        "disableOutboundSNAT": false,
        "excludeMasterFromStandardLB": true,
        "providerVaultName": "",
        "maximumLoadBalancerRuleCount": 250,
        "providerKeyName": "k8s",
        "providerKeyVersion": ""
    }
    """

    func write(_ text: String, name: String = "azure.json") throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("azure-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("a full AKS azure.json loads; unknown keys ignored, defaults applied")
    func aksFile() throws {
        let path = try write(Self.aksAzureJSON)
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let config = try CloudConfig.load(path: path, environment: [:])
        #expect(config.subscriptionId == "feb5b150-0000-0000-0000-e1f6f4bfa8f1")
        #expect(config.useManagedIdentityExtension)
        #expect(config.effectiveVNetResourceGroup == "MC_rg_cluster_westus2")
        #expect(config.effectiveLoadBalancerResourceGroup == "MC_rg_cluster_westus2")
        #expect(config.effectiveLoadBalancerName == "kubeegressgateway-ilb")
        #expect(config.effectiveUserAgent == "kube-egress-gateway-controller")
        #expect(config.rateLimit == RateLimitSettings(readQPS: 10, readBucket: 100, writeQPS: 10, writeBucket: 100))
        #expect(try config.azureEnvironment() == .publicCloud)
    }

    @Test("YAML, keys in any case, values trimmed")
    func yamlAndCase() throws {
        let config = try CloudConfig.parse("""
        CLOUD: " AzureChinaCloud "
        subscriptionID: sub
        Location: chinaeast2
        resourcegroup: rg
        VNetName: vnet
        subnetname: "  subnet\t"
        gatewayLoadBalancerName: my-ilb
        useManagedIdentityExtension: true
        """, source: "inline")
        try config.validate()
        #expect(config.subnetName == "subnet")
        #expect(config.subscriptionId == "sub")
        #expect(config.effectiveLoadBalancerName == "my-ilb")
        #expect(config.rateLimit == nil)
        #expect(try config.azureEnvironment() == .chinaCloud)
    }

    @Test("cloud names and aliases, case-insensitive")
    func environments() {
        #expect(AzureEnvironment.named("azurecloud") == .publicCloud)
        #expect(AzureEnvironment.named("AzurePublicCloud") == .publicCloud)
        #expect(AzureEnvironment.named("AZURECHINACLOUD")?.resourceManagerEndpoint == "https://management.chinacloudapi.cn")
        #expect(AzureEnvironment.named("AzureUSGovernment")?.authorityHost == "https://login.microsoftonline.us/")
        #expect(AzureEnvironment.named("AzureUSGovernmentCloud") == .usGovernmentCloud)
        #expect(AzureEnvironment.publicCloud.scope == "https://management.core.windows.net/.default")
    }

    @Test("an unknown cloud is an error, not the public cloud (the Go code sends AzureGovernmentCloud to public Azure)")
    func unknownCloud() throws {
        var config = try valid()
        config.cloud = "AzureGovernmentCloud"
        #expect(throws: CloudConfigError.validation(
            "cloud(AzureGovernmentCloud) is not a known Azure environment: use AzurePublicCloud, AzureChinaCloud or AzureUSGovernmentCloud"
        )) { try config.validate() }
    }

    func valid() throws -> CloudConfig {
        try CloudConfig.parse("""
        {"cloud":"AzurePublicCloud","location":"westus2","subscriptionId":"sub","aadClientId":"id","aadClientSecret":"s",
         "resourceGroup":"rg","vnetName":"vnet","subnetName":"subnet"}
        """, source: "inline")
    }

    @Test("each required key, in the Go operator's order and words")
    func validationMessages() throws {
        let cases: [(WritableKeyPath<CloudConfig, String>, String)] = [
            (\.cloud, "cloud is empty"), (\.location, "location is empty"), (\.subscriptionId, "subscription ID is empty"),
            (\.aadClientId, "AAD client ID or AAD client secret is empty"),
            (\.aadClientSecret, "AAD client ID or AAD client secret is empty"),
            (\.resourceGroup, "resource group is empty"), (\.vnetName, "virtual network name is empty"),
            (\.subnetName, "virtual network subnet name is empty"),
        ]
        try valid().validate()
        for (key, message) in cases {
            var config = try valid()
            config[keyPath: key] = ""
            #expect(throws: CloudConfigError.validation(message)) { try config.validate() }
        }
        var userAssigned = try valid()
        userAssigned.userAssignedIdentityID = "client-id"
        #expect(throws: CloudConfigError.validation("useManagedIdentityExtension needs to be true when userAssignedIdentityID is provided")) {
            try userAssigned.validate()
        }
        var empty = CloudConfig()
        empty.location = "x"
        #expect(throws: CloudConfigError.validation("cloud is empty")) { try empty.validate() }
    }

    @Test("a file without a required key, or with only whitespace in it, is refused with the Go message; so is an unknown cloud")
    func missingKeysInFile() throws {
        let complete = ["cloud": "AzurePublicCloud", "location": "westus2", "subscriptionId": "sub", "aadClientId": "id",
                        "aadClientSecret": "s", "resourceGroup": "rg", "vnetName": "vnet", "subnetName": "subnet"]
        let messages = [
            "cloud": "cloud is empty", "location": "location is empty", "subscriptionId": "subscription ID is empty",
            "aadClientId": "AAD client ID or AAD client secret is empty",
            "aadClientSecret": "AAD client ID or AAD client secret is empty", "resourceGroup": "resource group is empty",
            "vnetName": "virtual network name is empty", "subnetName": "virtual network subnet name is empty",
        ]
        func load(_ values: [String: String]) throws -> CloudConfig {
            let path = try write(String(decoding: try JSONSerialization.data(withJSONObject: values), as: UTF8.self))
            defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
            return try CloudConfig.load(path: path, environment: [:])
        }
        _ = try load(complete)
        for (key, message) in messages {
            for value in [nil, " \t "] as [String?] {
                var values = complete
                values[key] = value
                #expect(throws: CloudConfigError.validation(message), "\(key) = \(String(describing: value))") { try load(values) }
            }
        }
        var unknown = complete
        unknown["cloud"] = "AzureGermanCloud"
        let error = #expect(throws: CloudConfigError.self) { try load(unknown) }
        #expect("\(error!)".contains("cloud(AzureGermanCloud) is not a known Azure environment"))
    }

    @Test("malformed files: errors name the file and the key")
    func malformed() throws {
        let text = #"{"cloud": "AzurePublicCloud", "useManagedIdentityExtension": "yes-please"}"#
        #expect(throws: CloudConfigError.invalid(source: "f.json", field: "useManagedIdentityExtension",
                                                 reason: "want true or false, found yes-please")) {
            try CloudConfig.parse(text, source: "f.json")
        }
        let number = #"{"subscriptionId": 12}"#
        let error = #expect(throws: CloudConfigError.self) { try CloudConfig.parse(number, source: "f.json") }
        #expect("\(error!)" == "cloud config f.json: subscriptionId: want a string, found 12")
        #expect(throws: CloudConfigError.self) { try CloudConfig.parse("[1, 2]", source: "f.json") }
        #expect(throws: CloudConfigError.self) { try CloudConfig.parse("{\"cloud\": [", source: "f.json") }
        let missing = #expect(throws: CloudConfigError.self) {
            try CloudConfig.load(path: "/nonexistent/azure.json", environment: [:])
        }
        #expect("\(missing!)".contains("/nonexistent/azure.json"))
    }

    @Test("environment overrides: tenant, workload identity, authority host")
    func environmentOverrides() throws {
        var config = try valid()
        config.environment = AuthenticationEnvironment([
            "AZURE_TENANT_ID": "tenant-env", "AZURE_CLIENT_ID": "client-env", "AZURE_FEDERATED_TOKEN_FILE": "/var/run/token",
            "AZURE_AUTHORITY_HOST": "https://login.example.test",
        ])
        #expect(config.environment.federatedTokenFile == "/var/run/token")
        #expect(try config.azureEnvironment().authorityHost == "https://login.example.test/")
    }

    @Test("AzureStackCloud reads its endpoints from AZURE_ENVIRONMENT_FILEPATH")
    func azureStack() throws {
        let path = try write("""
        {"name":"AzureStackCloud","resourceManagerEndpoint":"https://management.local.azurestack.external/",
         "activeDirectoryEndpoint":"https://login.local.test","tokenAudience":"https://management.local.test/"}
        """, name: "env.json")
        var config = try valid()
        config.cloud = "AzureStackCloud"
        config.environment = AuthenticationEnvironment(["AZURE_ENVIRONMENT_FILEPATH": path])
        try config.validate()
        let environment = try config.azureEnvironment()
        #expect(environment.resourceManagerEndpoint == "https://management.local.azurestack.external")
        #expect(environment.authorityHost == "https://login.local.test/")
        let broken = try write(#"{"name":"x"}"#, name: "broken.json")
        #expect(throws: CloudConfigError.invalid(source: broken, field: "resourceManagerEndpoint", reason: "missing or empty")) {
            try AzureEnvironment.load(file: broken)
        }
    }

    @Test("endpoint discovery from a custom ARM endpoint")
    func discovery() async throws {
        let body = #"[{"name":"Custom","resourceManager":"URL/","authentication":{"loginEndpoint":"https://login.custom/","audiences":["https://management.custom/"]}}]"#
        try await ScriptedServer.run({ _, url in ScriptedResponse(200, body.replacingOccurrences(of: "URL", with: url)) }) { url, requests in
            let environment = try await AzureEnvironment.discover(resourceManagerEndpoint: url + "/", http: HTTPClientFactory.plain())
            #expect(environment.resourceManagerEndpoint == url)
            #expect(environment.tokenAudience == "https://management.custom/")
            #expect(requests().first?.query["api-version"] == "2019-05-01")
            #expect(requests().first?.path == "/metadata/endpoints")
        }
    }
}
