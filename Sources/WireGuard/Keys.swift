import CSodium

/// A WireGuard (Curve25519) private key.
///
/// Its text never appears in logs: `description` and `debugDescription` are redacted, and a
/// parse error does not echo the text it was given. Use ``base64`` only where the key must be
/// stored (a Secret) or handed to a tool.
public struct PrivateKey: Hashable, Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    let material: KeyMaterial

    init(material: KeyMaterial) { self.material = material }

    /// A new key from libsodium's CSPRNG, clamped as WireGuard (and `wg genkey`) does.
    public static func generate() throws(WireGuardError) -> PrivateKey {
        try Sodium.ready()
        let material = KeyMaterial { randombytes_buf($0, KeyMaterial.byteCount) }
        return PrivateKey(material: clamped(material))
    }

    /// A key from its 32 raw bytes, used as given (no clamping: the curve operation clamps anyway,
    /// and the kernel stores what it was told).
    public init(bytes: some Collection<UInt8>, field: String = "private key") throws(WireGuardError) {
        guard let material = KeyMaterial(bytes) else {
            throw .invalidKey(field: field, value: nil, reason: "expected 32 bytes, got \(bytes.count)")
        }
        self.material = material
    }

    /// Parses the standard base64 text `wg genkey` prints. The error names `field` but never repeats the text.
    public init(base64 text: String, field: String = "private key") throws(WireGuardError) {
        do {
            material = try KeyMaterial(base64: text)
        } catch {
            throw .invalidKey(field: field, value: nil, reason: error.reason)
        }
    }

    /// The matching public key (X25519 scalar multiplication of the base point).
    public var publicKey: PublicKey {
        // The scalar is clamped inside libsodium, so the product is never the all-zero point and
        // crypto_scalarmult_base cannot fail for any 32 bytes.
        PublicKey(material: KeyMaterial { output in
            material.withBytes { _ = crypto_scalarmult_base(output, $0) }
        })
    }

    public var bytes: [UInt8] { material.bytes }
    /// The key as standard base64. Handle with care: this is the secret.
    public var base64: String { material.base64 }

    public var description: String { "PrivateKey(redacted)" }
    public var debugDescription: String { description }
    /// No children, so `dump` and reflection-based printing cannot reach the bytes either.
    public var customMirror: Mirror { Mirror(self, children: [:]) }

    /// WireGuard's clamping (RFC 7748 §5): clear the three low bits, clear the top bit, set bit 254.
    static func clamped(_ key: KeyMaterial) -> KeyMaterial {
        var bytes = key.bytes
        bytes[0] &= 248
        bytes[31] = (bytes[31] & 127) | 64
        return KeyMaterial(bytes)!
    }
}

/// A WireGuard (Curve25519) public key; prints as its base64 text.
public struct PublicKey: Hashable, Sendable, CustomStringConvertible {
    let material: KeyMaterial

    init(material: KeyMaterial) { self.material = material }

    /// A key from its 32 raw bytes.
    public init(bytes: some Collection<UInt8>, field: String = "public key") throws(WireGuardError) {
        guard let material = KeyMaterial(bytes) else {
            throw .invalidKey(field: field, value: nil, reason: "expected 32 bytes, got \(bytes.count)")
        }
        self.material = material
    }

    /// Parses standard base64 text; the error names `field` and shows the text.
    public init(base64 text: String, field: String = "public key") throws(WireGuardError) {
        do {
            material = try KeyMaterial(base64: text)
        } catch {
            throw .invalidKey(field: field, value: text, reason: error.reason)
        }
    }

    public var bytes: [UInt8] { material.bytes }
    public var base64: String { material.base64 }
    public var description: String { base64 }
}

/// An optional symmetric key mixed into a peer's handshake. Secret, so redacted like a private key.
/// The all-zero key (``none``) means "no preshared key" to both backends.
public struct PresharedKey: Hashable, Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    let material: KeyMaterial

    init(material: KeyMaterial) { self.material = material }

    /// The all-zero key: configuring it removes a peer's preshared key.
    public static let none = PresharedKey(material: .zero)

    /// 32 random bytes from libsodium (what `wg genpsk` does).
    public static func generate() throws(WireGuardError) -> PresharedKey {
        try Sodium.ready()
        return PresharedKey(material: KeyMaterial { randombytes_buf($0, KeyMaterial.byteCount) })
    }

    public init(bytes: some Collection<UInt8>, field: String = "preshared key") throws(WireGuardError) {
        guard let material = KeyMaterial(bytes) else {
            throw .invalidKey(field: field, value: nil, reason: "expected 32 bytes, got \(bytes.count)")
        }
        self.material = material
    }

    /// Parses standard base64 text; like a private key, the text is never echoed in the error.
    public init(base64 text: String, field: String = "preshared key") throws(WireGuardError) {
        do {
            material = try KeyMaterial(base64: text)
        } catch {
            throw .invalidKey(field: field, value: nil, reason: error.reason)
        }
    }

    public var bytes: [UInt8] { material.bytes }
    /// The key as standard base64. Handle with care: this is a secret.
    public var base64: String { material.base64 }
    public var description: String { "PresharedKey(redacted)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}
