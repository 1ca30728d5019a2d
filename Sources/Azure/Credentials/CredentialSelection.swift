import HTTPClient

extension CloudConfig {
    /// The credential the Go operator's auth provider would pick, in its order: workload identity, managed identity,
    /// service-principal secret, service-principal certificate. The result caches tokens.
    ///
    /// - Parameters:
    ///   - http: the client for AAD token requests.
    ///   - imds: the IMDS client for managed identity.
    public func credential(environment cloud: AzureEnvironment, http: HTTPClient, imds: @autoclosure () throws(IMDSError) -> IMDSClient)
        throws(CredentialError) -> CachingCredential
    {
        let tenant = environment.tenantID.isEmpty ? tenantId : environment.tenantID
        let source: any TokenCredential
        let tokenFile = environment.federatedTokenFile.isEmpty && useFederatedWorkloadIdentityExtension
            ? aadFederatedTokenFile : environment.federatedTokenFile
        if !tokenFile.isEmpty {
            let clientID = environment.clientID.isEmpty ? aadClientId : environment.clientID
            guard !clientID.isEmpty, !tenant.isEmpty else {
                throw .notConfigured("workload identity (token file \(tokenFile)) needs a client ID (AZURE_CLIENT_ID or aadClientId) and a tenant (AZURE_TENANT_ID or tenantId)")
            }
            source = WorkloadIdentityCredential(environment: cloud, tenantID: tenant, clientID: clientID, tokenFile: tokenFile, http: http)
        } else if useManagedIdentityExtension {
            let client: IMDSClient
            do { client = try imds() } catch { throw .managedIdentity(error) }
            source = ManagedIdentityCredential(
                identity: .init(userAssignedIdentityID: userAssignedIdentityID), environment: cloud, imds: client)
        } else if !(environment.clientSecret.isEmpty && aadClientSecret.isEmpty) {
            guard !aadClientId.isEmpty, !tenant.isEmpty else {
                throw .notConfigured("a client secret needs aadClientId and tenantId")
            }
            let secret = environment.clientSecret.isEmpty ? aadClientSecret : environment.clientSecret
            source = ClientSecretCredential(environment: cloud, tenantID: tenant, clientID: aadClientId, secret: secret, http: http)
        } else if !aadClientCertPath.isEmpty {
            source = try ClientCertificateCredential(
                environment: cloud, tenantID: tenant, clientID: aadClientId, certificatePath: aadClientCertPath,
                password: aadClientCertPassword, http: http)
        } else {
            throw .notConfigured("set useManagedIdentityExtension, aadClientSecret, aadClientCertPath or AZURE_FEDERATED_TOKEN_FILE")
        }
        return CachingCredential(source)
    }
}
