import Crypto
import Foundation
import HTTPClient
import X509
import _CryptoExtras

/// A service principal proving itself with a certificate: each token request carries a fresh JWT client assertion,
/// signed RS256 with the certificate's key, whose `x5t` header is the certificate's SHA-1 thumbprint so AAD knows
/// which registered certificate to check it with.
///
/// The file holds the certificate and its unencrypted RSA private key in PEM. PKCS#12 (`.pfx`) files, which the Go
/// code also accepts, are rejected with a message that says how to convert them.
public struct ClientCertificateCredential: TokenCredential {
    public let path: String
    private let endpoint: AADTokenEndpoint
    private let key: _RSA.Signing.PrivateKey
    private let thumbprint: String

    public init(environment: AzureEnvironment, tenantID: String, clientID: String, certificatePath: String, http: HTTPClient)
        throws(CredentialError)
    {
        path = certificatePath
        endpoint = AADTokenEndpoint(environment: environment, tenantID: tenantID, clientID: clientID, http: http)
        let text: String
        do {
            text = try String(contentsOfFile: certificatePath, encoding: .utf8)
        } catch {
            throw .certificate(path: certificatePath, reason: "unreadable or not PEM text (PKCS#12 files must be converted: "
                               + "openssl pkcs12 -in FILE.pfx -nodes -out FILE.pem)")
        }
        let blocks = pemBlocks(text)
        guard let certificate = blocks.first(where: { $0.label == "CERTIFICATE" }) else {
            throw .certificate(path: certificatePath, reason: "no CERTIFICATE block")
        }
        guard let keyBlock = blocks.first(where: { $0.label.hasSuffix("PRIVATE KEY") }) else {
            throw .certificate(path: certificatePath, reason: "no PRIVATE KEY block")
        }
        guard keyBlock.label != "ENCRYPTED PRIVATE KEY" else {
            throw .certificate(path: certificatePath, reason: "the private key is encrypted; store it unencrypted")
        }
        do {
            _ = try Certificate(derEncoded: certificate.der)
            key = try _RSA.Signing.PrivateKey(pemRepresentation: keyBlock.pem)
        } catch {
            throw .certificate(path: certificatePath, reason: "\(error)")
        }
        thumbprint = base64URL(Insecure.SHA1.hash(data: certificate.der))
    }

    public func token() async throws(CredentialError) -> AccessToken {
        let assertion = try clientAssertion(now: Date())
        return try await endpoint.requestToken(proof: [
            ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
            ("client_assertion", assertion),
        ])
    }

    /// The signed JWT: audience the token endpoint, issuer and subject the client, valid for ten minutes.
    func clientAssertion(now: Date) throws(CredentialError) -> String {
        let issued = Int(now.timeIntervalSince1970)
        let header: [String: Any] = ["alg": "RS256", "typ": "JWT", "x5t": thumbprint]
        let claims: [String: Any] = [
            "aud": endpoint.url, "iss": endpoint.clientID, "sub": endpoint.clientID, "jti": UUID().uuidString,
            "iat": issued, "nbf": issued, "exp": issued + 600,
        ]
        do {
            let signingInput = try base64URL(JSONSerialization.data(withJSONObject: header, options: .sortedKeys)) + "."
                + base64URL(JSONSerialization.data(withJSONObject: claims, options: .sortedKeys))
            let signature = try key.signature(for: SHA256.hash(data: Data(signingInput.utf8)), padding: .insecurePKCS1v1_5)
            return signingInput + "." + base64URL(signature.rawRepresentation)
        } catch {
            throw .certificate(path: path, reason: "signing the client assertion failed: \(error)")
        }
    }

    public var description: String { "service principal \(endpoint.clientID) (certificate \(path))" }
}

func base64URL(_ bytes: some Sequence<UInt8>) -> String {
    Data(bytes).base64EncodedString()
        .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        .replacingOccurrences(of: "=", with: "")
}

/// One `-----BEGIN LABEL-----` block of a PEM file: its label, its text and the DER bytes it encodes.
struct PEMBlock {
    var label: String
    var pem: String
    var der: [UInt8]
}

func pemBlocks(_ text: String) -> [PEMBlock] {
    var blocks: [PEMBlock] = []
    var label: String?
    var lines: [Substring] = []
    for line in text.split(whereSeparator: \.isNewline) {
        let trimmed = line.trimmingWhitespace
        if trimmed.hasPrefix("-----BEGIN "), trimmed.hasSuffix("-----") {
            label = String(trimmed.dropFirst(11).dropLast(5))
            lines = [line]
        } else if let current = label, trimmed == "-----END \(current)-----" {
            lines.append(line)
            let body = lines.dropFirst().dropLast().joined()
            if let der = Data(base64Encoded: body) {
                blocks.append(PEMBlock(label: current, pem: lines.joined(separator: "\n"), der: Array(der)))
            }
            label = nil
        } else if label != nil {
            lines.append(line)
        }
    }
    return blocks
}
