import Crypto
import Foundation
import SwiftASN1
import _CryptoExtras

/// The certificates and private keys of a PKCS#12 (`.pfx`) file (RFC 7292), the form service-principal
/// certificates are usually exported in.
///
/// Reads what OpenSSL 3 and current Windows write by default: bags encrypted with PBES2 (PBKDF2 with HMAC-SHA-1/256/
/// 384/512, AES-128/192/256-CBC) under an HMAC integrity MAC whose key comes from the PKCS#12 key derivation. The
/// legacy schemes (RC2, RC4, DES, 3DES) are refused by name and OID rather than implemented: they are broken, and
/// converting the file once is a better fix than carrying them.
struct PKCS12 {
    /// DER X.509 certificates, in file order.
    var certificates: [[UInt8]] = []
    /// DER PKCS#8 `PrivateKeyInfo`s, decrypted.
    var privateKeys: [[UInt8]] = []

    init(derEncoded bytes: [UInt8], password: String) throws(PKCS12Error) {
        do {
            try parse(bytes, password: password)
        } catch let error as PKCS12Error {
            throw error
        } catch {
            throw .malformed("\(error)")
        }
    }

    private mutating func parse(_ bytes: [UInt8], password: String) throws {
        let pfx = try children(try BER.parse(bytes), "PFX", atLeast: 2)
        guard try Int(berEncoded: pfx[0]) == 3 else { throw PKCS12Error.malformed("PFX version is not 3") }
        let authSafe = try children(pfx[1], "authSafe")
        let contentType = try oid(authSafe[0])
        guard contentType == OID.data else {
            throw PKCS12Error.unsupported(what: "integrity mode (only password integrity is supported)", oid: contentType)
        }
        let content = try octets(try explicitContent(authSafe, "authSafe"))
        guard pfx.count > 2 else { throw PKCS12Error.malformed("no MAC: the file is not password protected") }
        try verifyMAC(pfx[2], content: content, password: password)
        for info in try children(try BER.parse(content), "AuthenticatedSafe") {
            let parts = try children(info, "ContentInfo")
            let safeContents: [UInt8]
            switch try oid(parts[0]) {
            case OID.data:
                safeContents = try octets(try explicitContent(parts, "ContentInfo"))
            case OID.encryptedData:
                let encrypted = try children(try explicitContent(parts, "EncryptedData"), "EncryptedData", atLeast: 2)
                let info = try children(encrypted[1], "EncryptedContentInfo", atLeast: 3)
                let ciphertext = try ASN1OctetString(berEncoded: info[2], withIdentifier: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific))
                safeContents = try Self.decrypt(Array(ciphertext.bytes), algorithm: info[1], password: password, what: "certificate bag")
            case let other:
                throw PKCS12Error.unsupported(what: "content type", oid: other)
            }
            try readBags(safeContents, password: password)
        }
    }

    private mutating func readBags(_ safeContents: [UInt8], password: String) throws {
        for bag in try children(try BER.parse(safeContents), "SafeContents") {
            let parts = try children(bag, "SafeBag")
            let value = try explicitContent(parts, "SafeBag")
            switch try oid(parts[0]) {
            case OID.certBag:
                let certificate = try children(value, "CertBag")
                guard try oid(certificate[0]) == OID.x509Certificate else { continue }
                certificates.append(try octets(try explicitContent(certificate, "CertBag")))
            case OID.keyBag:
                privateKeys.append(Array(value.encodedBytes))
            case OID.shroudedKeyBag:
                let encrypted = try children(value, "EncryptedPrivateKeyInfo", atLeast: 2)
                privateKeys.append(try Self.decrypt(try octets(encrypted[1]), algorithm: encrypted[0], password: password, what: "private key"))
            default:
                continue  // CRLs and secrets are of no use for a client assertion.
            }
        }
    }

    // MARK: Integrity

    /// Checks the MAC over the authenticated safe. PKCS#12 derives its key from the password as a NUL-terminated
    /// big-endian UTF-16 string; an empty password is tried both as that and as no bytes at all, as writers differ.
    private func verifyMAC(_ node: ASN1Node, content: [UInt8], password: String) throws {
        let macData = try children(node, "MacData", atLeast: 2)
        let digestInfo = try children(macData[0], "DigestInfo", atLeast: 2)
        let algorithm = try oid(try children(digestInfo[0], "DigestAlgorithm")[0])
        let expected = try octets(digestInfo[1])
        let salt = try octets(macData[1])
        let iterations = macData.count > 2 ? try Int(berEncoded: macData[2]) : 1
        guard (1...10_000_000).contains(iterations) else { throw PKCS12Error.malformed("MAC iteration count \(iterations)") }
        let bmpString: [UInt8] = password.utf16.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] } + [0, 0]
        var candidates = [bmpString]
        if password.isEmpty { candidates.append([]) }
        func matches<H: HashFunction>(_ hash: H.Type) -> Bool {
            candidates.contains { candidate in
                let key = Self.pkcs12KDF(hash, id: 3, password: candidate, salt: salt, iterations: iterations, count: H.Digest.byteCount)
                return HMAC<H>.isValidAuthenticationCode(expected, authenticating: content, using: SymmetricKey(data: key))
            }
        }
        let valid: Bool
        switch algorithm {
        case OID.sha1: valid = matches(Insecure.SHA1.self)
        case OID.sha256: valid = matches(SHA256.self)
        case OID.sha384: valid = matches(SHA384.self)
        case OID.sha512: valid = matches(SHA512.self)
        default: throw PKCS12Error.unsupported(what: "MAC algorithm", oid: algorithm)
        }
        guard valid else { throw PKCS12Error.wrongPassword }
    }

    /// RFC 7292 appendix B.2: `count` bytes of key material of purpose `id` (1 key, 2 IV, 3 MAC).
    static func pkcs12KDF<H: HashFunction>(_: H.Type, id: UInt8, password: [UInt8], salt: [UInt8], iterations: Int, count: Int) -> [UInt8] {
        let v = H.blockByteCount
        let u = H.Digest.byteCount
        func fill(_ bytes: [UInt8]) -> [UInt8] {
            bytes.isEmpty ? [] : (0..<(v * ((bytes.count + v - 1) / v))).map { bytes[$0 % bytes.count] }
        }
        let diversifier = [UInt8](repeating: id, count: v)
        var input = fill(salt) + fill(password)
        var output: [UInt8] = []
        while output.count < count {
            var block = Array(H.hash(data: diversifier + input))
            for _ in 1..<max(iterations, 1) { block = Array(H.hash(data: block)) }
            output += block
            guard output.count < count else { break }
            // Each v-byte chunk of the input becomes chunk + B + 1 (mod 2^8v), B being the block repeated.
            let b = (0..<v).map { block[$0 % u] }
            for start in stride(from: 0, to: input.count, by: v) {
                var carry = 1
                for index in (0..<v).reversed() {
                    let sum = Int(input[start + index]) + Int(b[index]) + carry
                    input[start + index] = UInt8(sum & 0xFF)
                    carry = sum >> 8
                }
            }
        }
        return Array(output.prefix(count))
    }

    // MARK: Encryption

    /// Decrypts PBES2 content; the password goes to PBKDF2 as its UTF-8 bytes (RFC 8018), as OpenSSL writes it.
    private static func decrypt(_ ciphertext: [UInt8], algorithm node: ASN1Node, password: String, what: String) throws -> [UInt8] {
        let algorithm = try children(node, "EncryptionAlgorithm")
        let scheme = try oid(algorithm[0])
        if let legacy = OID.legacyEncryption[scheme] { throw PKCS12Error.legacy(algorithm: legacy, oid: scheme) }
        guard scheme == OID.pbes2, algorithm.count > 1 else { throw PKCS12Error.unsupported(what: "\(what) encryption", oid: scheme) }
        let parameters = try children(algorithm[1], "PBES2-params", atLeast: 2)
        let derivation = try children(parameters[0], "KeyDerivationFunc", atLeast: 2)
        let kdf = try oid(derivation[0])
        guard kdf == OID.pbkdf2 else { throw PKCS12Error.unsupported(what: "key derivation", oid: kdf) }
        let pbkdf2 = try children(derivation[1], "PBKDF2-params", atLeast: 2)
        let salt = try octets(pbkdf2[0])
        let iterations = try Int(berEncoded: pbkdf2[1])
        guard (1...10_000_000).contains(iterations) else { throw PKCS12Error.malformed("PBKDF2 iteration count \(iterations)") }
        var prf = OID.hmacWithSHA1
        for optional in pbkdf2.dropFirst(2) where optional.identifier == .sequence {
            prf = try oid(try children(optional, "PRF")[0])
        }
        let hash: KDF.Insecure.PBKDF2.HashFunction
        switch prf {
        case OID.hmacWithSHA1: hash = .insecureSHA1
        case OID.hmacWithSHA256: hash = .sha256
        case OID.hmacWithSHA384: hash = .sha384
        case OID.hmacWithSHA512: hash = .sha512
        default: throw PKCS12Error.unsupported(what: "PBKDF2 pseudo-random function", oid: prf)
        }
        let encryption = try children(parameters[1], "EncryptionScheme", atLeast: 2)
        let cipher = try oid(encryption[0])
        guard let keyLength = OID.aesCBCKeyLength[cipher] else { throw PKCS12Error.unsupported(what: "\(what) cipher", oid: cipher) }
        let iv = try octets(encryption[1])
        let key = try KDF.Insecure.PBKDF2.deriveKey(from: Array(password.utf8), salt: salt, using: hash, outputByteCount: keyLength,
                                                    unsafeUncheckedRounds: iterations)
        do {
            return Array(try AES._CBC.decrypt(ciphertext, using: key, iv: try AES._CBC.IV(ivBytes: iv)))
        } catch {
            // The MAC already proved the password; a bad padding here means the writer used another one for this bag.
            throw PKCS12Error.decryption(what: what)
        }
    }
}

// MARK: ASN.1 helpers

/// The elements of a SEQUENCE (or other constructed value), at least `count` of them, so that callers index safely.
private func children(_ node: ASN1Node, _ what: String, atLeast count: Int = 1) throws -> [ASN1Node] {
    guard case .constructed(let nodes) = node.content else { throw PKCS12Error.malformed("\(what) is not a constructed value") }
    let list = Array(nodes)
    guard list.count >= count else { throw PKCS12Error.malformed("\(what) has \(list.count) elements, want at least \(count)") }
    return list
}

/// The value inside the `[0] EXPLICIT` that follows a type OID.
private func explicitContent(_ parts: [ASN1Node], _ what: String) throws -> ASN1Node {
    guard parts.count > 1, parts[1].identifier == ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific) else {
        throw PKCS12Error.malformed("\(what) has no [0] content")
    }
    return try children(parts[1], what)[0]
}

private func oid(_ node: ASN1Node) throws -> String { try ASN1ObjectIdentifier(berEncoded: node).description }

private func octets(_ node: ASN1Node) throws -> [UInt8] { Array(try ASN1OctetString(berEncoded: node).bytes) }

/// Why a PKCS#12 file could not be read. Messages name the algorithm, never the password.
enum PKCS12Error: Error, Equatable, CustomStringConvertible {
    case malformed(String)
    /// A pre-PBES2 scheme (`openssl pkcs12 -legacy`, old Windows exports).
    case legacy(algorithm: String, oid: String)
    case unsupported(what: String, oid: String)
    /// The MAC does not verify: the password is wrong (or the file was altered).
    case wrongPassword
    case decryption(what: String)

    var description: String {
        switch self {
        case .malformed(let detail): "not a readable PKCS#12 file: \(detail)"
        case .legacy(let algorithm, let oid):
            "PKCS#12 encrypted with the legacy algorithm \(algorithm) (OID \(oid)), which is not supported; convert it to PEM "
                + "with `openssl pkcs12 -in FILE.pfx -nodes -out FILE.pem` (add -legacy on OpenSSL 3) and point aadClientCertPath at the PEM file"
        case .unsupported(let what, let oid): "PKCS#12 uses an unsupported \(what) (OID \(oid))"
        case .wrongPassword: "PKCS#12 integrity check failed: wrong aadClientCertPassword, or the file was altered"
        case .decryption(let what): "PKCS#12 \(what) could not be decrypted with aadClientCertPassword"
        }
    }
}

/// The object identifiers of RFC 7292, RFC 8018 and NIST that PKCS#12 files carry.
private enum OID {
    static let data = "1.2.840.113549.1.7.1"
    static let encryptedData = "1.2.840.113549.1.7.6"
    static let keyBag = "1.2.840.113549.1.12.10.1.1"
    static let shroudedKeyBag = "1.2.840.113549.1.12.10.1.2"
    static let certBag = "1.2.840.113549.1.12.10.1.3"
    static let x509Certificate = "1.2.840.113549.1.9.22.1"
    static let pbes2 = "1.2.840.113549.1.5.13"
    static let pbkdf2 = "1.2.840.113549.1.5.12"
    static let hmacWithSHA1 = "1.2.840.113549.2.7"
    static let hmacWithSHA256 = "1.2.840.113549.2.9"
    static let hmacWithSHA384 = "1.2.840.113549.2.10"
    static let hmacWithSHA512 = "1.2.840.113549.2.11"
    static let sha1 = "1.3.14.3.2.26"
    static let sha256 = "2.16.840.1.101.3.4.2.1"
    static let sha384 = "2.16.840.1.101.3.4.2.2"
    static let sha512 = "2.16.840.1.101.3.4.2.3"
    static let aesCBCKeyLength = ["2.16.840.1.101.3.4.1.2": 16, "2.16.840.1.101.3.4.1.22": 24, "2.16.840.1.101.3.4.1.42": 32]
    static let legacyEncryption = [
        "1.2.840.113549.1.12.1.1": "pbeWithSHAAnd128BitRC4", "1.2.840.113549.1.12.1.2": "pbeWithSHAAnd40BitRC4",
        "1.2.840.113549.1.12.1.3": "pbeWithSHAAnd3-KeyTripleDES-CBC", "1.2.840.113549.1.12.1.4": "pbeWithSHAAnd2-KeyTripleDES-CBC",
        "1.2.840.113549.1.12.1.5": "pbeWithSHAAnd128BitRC2-CBC", "1.2.840.113549.1.12.1.6": "pbeWithSHAAnd40BitRC2-CBC",
        "1.2.840.113549.1.5.3": "pbeWithMD5AndDES-CBC", "1.2.840.113549.1.5.10": "pbeWithSHA1AndDES-CBC",
    ]
}
