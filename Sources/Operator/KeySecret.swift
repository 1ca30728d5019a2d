#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EgressGatewayAPI
import Kube
import WireGuard

/// The WireGuard key pair of one SGC's gateway, kept in the Secret `sgw-<uid>` of the operator's secret namespace
/// (spec §2.4), linked to the SGC by two labels only (it lives in another namespace, so it cannot be owned).
enum KeySecret {
    /// The Secret the SGC should have, given the one observed (nil: absent). A key is generated only when
    /// `PrivateKey` is missing; an existing key is never replaced.
    static func desired(for sgc: StaticGatewayConfiguration, namespace: String, observed: Secret?,
                        generate: () throws(WireGuardError) -> PrivateKey = PrivateKey.generate)
        throws(WireGuardError) -> Secret
    {
        var secret = observed ?? Secret(metadata: ObjectMeta(
            name: EgressGateway.keySecretName(staticGatewayConfigurationUID: sgc.metadata.uid), namespace: namespace))
        secret.metadata.labels[EgressGateway.SecretLabel.owningGatewayConfigNamespace] = sgc.metadata.namespace
        secret.metadata.labels[EgressGateway.SecretLabel.owningGatewayConfigName] = sgc.metadata.name
        if secret.data[EgressGateway.SecretKey.privateKey] == nil {
            let key = try generate()
            secret.data[EgressGateway.SecretKey.privateKey] = Data(key.base64.utf8)
            secret.data[EgressGateway.SecretKey.publicKey] = Data(key.publicKey.base64.utf8)
        }
        return secret
    }

    /// The SGC that the Secret's labels name, if both are present.
    static func owner(of secret: Secret) -> ObjectKey? {
        let labels = secret.metadata.labels
        guard let namespace = labels[EgressGateway.SecretLabel.owningGatewayConfigNamespace],
            let name = labels[EgressGateway.SecretLabel.owningGatewayConfigName]
        else { return nil }
        return ObjectKey(namespace: namespace, name: name)
    }

    /// The `privateKeySecretRef` of the SGC status: only apiVersion, kind, name and namespace, as Go writes it.
    static func reference(to secret: Secret) -> ObjectReference {
        ObjectReference(apiVersion: "v1", kind: "Secret", name: secret.metadata.name,
                        namespace: secret.metadata.namespace)
    }
}
