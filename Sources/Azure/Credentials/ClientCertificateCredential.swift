import Crypto
import Foundation
import HTTPClient
import SwiftASN1
import X509
import _CryptoExtras

/// A service principal proving itself with a certificate: each token request carries a fresh JWT client assertion,
/// signed RS256 with the certificate's key, whose `x5t` header is the certificate's SHA-1 thumbprint so AAD knows
/// which registered certificate to check it with.
///
/// The file is PEM (the certificate and its unencrypted private key) or PKCS#12 (`.pfx`, protected by
/// `aadClientCertPassword`, see ``PKCS12``). The certificate used is the one whose public key matches the key, so a
/// file that also carries the issuing chain works.
public struct ClientCertificateCredential: TokenCredential {
    public let path: String
    private let endpoint: AADTokenEndpoint
    private let key: _RSA.Signing.PrivateKey
    private let thumbprint: String

    public init(environment: AzureEnvironment, tenantID: String, clientID: String, certificatePath: String, password: String = "",
                http: HTTPClient) throws(CredentialError)
    {
        path = certificatePath
        endpoint = AADTokenEndpoint(environment: environment, tenantID: tenantID, clientID: clientID, http: http)
        let bytes: [UInt8]
        do {
            bytes = Array(try Data(contentsOf: URL(fileURLWithPath: certificatePath)))
        } catch {
            throw .certificate(path: certificatePath, reason: "unreadable: \((error as NSError).localizedDescription)")
        }
        let certificates: [[UInt8]]
        let keys: [_RSA.Signing.PrivateKey]
        do {
            let blocks = pemBlocks(String(decoding: bytes, as: UTF8.self))
            if blocks.isEmpty {
                // A DER file starts with a SEQUENCE tag; anything else was meant as PEM and has no block.
                guard bytes.first == 0x30 else { throw CertificateFileError.reason("neither PEM (no -----BEGIN block) nor PKCS#12") }
                let bundle = try PKCS12(derEncoded: bytes, password: password)
                certificates = bundle.certificates
                keys = try bundle.privateKeys.map { der throws(CertificateFileError) in
                    do {
                        return try _RSA.Signing.PrivateKey(pemRepresentation: PEMDocument(type: "PRIVATE KEY", derBytes: der).pemString)
                    } catch {
                        throw .reason("the private key is not an RSA key: \(error)")
                    }
                }
            } else {
                (certificates, keys) = try Self.readPEM(blocks)
            }
        } catch let error as PKCS12Error {
            throw .certificate(path: certificatePath, reason: "\(error)")
        } catch let error as CertificateFileError {
            throw .certificate(path: certificatePath, reason: error.reason)
        } catch {
            throw .certificate(path: certificatePath, reason: "\(error)")
        }
        guard let key = keys.first else { throw .certificate(path: certificatePath, reason: "no private key") }
        guard !certificates.isEmpty else { throw .certificate(path: certificatePath, reason: "no certificate") }
        let matching = certificates.first { der in
            guard let certificate = try? Certificate(derEncoded: der), let publicKey = _RSA.Signing.PublicKey(certificate.publicKey) else {
                return false
            }
            return publicKey.derRepresentation == key.publicKey.derRepresentation
        }
        guard let certificate = matching else {
            throw .certificate(path: certificatePath, reason: "no certificate matches the private key")
        }
        self.key = key
        thumbprint = base64URL(Insecure.SHA1.hash(data: certificate))
    }

    /// The certificates and the one private key of a PEM file.
    private static func readPEM(_ blocks: [PEMBlock]) throws(CertificateFileError) -> ([[UInt8]], [_RSA.Signing.PrivateKey]) {
        let certificates = blocks.filter { $0.label == "CERTIFICATE" }.map(\.der)
        guard !certificates.isEmpty else { throw .reason("no CERTIFICATE block") }
        guard let keyBlock = blocks.first(where: { $0.label.hasSuffix("PRIVATE KEY") }) else { throw .reason("no PRIVATE KEY block") }
        guard keyBlock.label != "ENCRYPTED PRIVATE KEY" else { throw .reason("the private key is encrypted; store it unencrypted") }
        do {
            return (certificates, [try _RSA.Signing.PrivateKey(pemRepresentation: keyBlock.pem)])
        } catch {
            throw .reason("\(error)")
        }
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

/// Why a certificate file's content is unusable, before the path is attached.
private struct CertificateFileError: Error {
    var reason: String
    static func reason(_ text: String) -> Self { Self(reason: text) }
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
