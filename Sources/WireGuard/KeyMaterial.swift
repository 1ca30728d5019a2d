import CSodium

/// The 32 bytes of a Curve25519 key or a preshared key, held inline (four words, no heap
/// allocation) because a device can hold tens of thousands of peers and their keys are compared
/// and hashed constantly while merging and diffing.
struct KeyMaterial: Hashable, Sendable {
    static let byteCount = 32
    /// Length of the standard, padded base64 text of 32 bytes.
    static let base64Length = 44
    static let zero = KeyMaterial(words: (0, 0, 0, 0))

    private var words: (UInt64, UInt64, UInt64, UInt64)

    private init(words: (UInt64, UInt64, UInt64, UInt64)) { self.words = words }

    /// Copies exactly 32 bytes; nil for any other length.
    init?(_ bytes: some Collection<UInt8>) {
        guard bytes.count == Self.byteCount else { return nil }
        self = .zero
        withUnsafeMutableBytes(of: &words) { destination in
            for (index, byte) in bytes.enumerated() { destination[index] = byte }
        }
    }

    /// Fills the key with bytes written by `body` (e.g. libsodium output).
    init(filling body: (UnsafeMutablePointer<UInt8>) -> Void) {
        self = .zero
        withUnsafeMutableBytes(of: &words) { body($0.baseAddress!.assumingMemoryBound(to: UInt8.self)) }
    }

    func withBytes<T>(_ body: (UnsafePointer<UInt8>) throws -> T) rethrows -> T {
        try withUnsafeBytes(of: words) { try body($0.baseAddress!.assumingMemoryBound(to: UInt8.self)) }
    }

    var bytes: [UInt8] { withUnsafeBytes(of: words) { Array($0) } }

    var isZero: Bool { words == (0, 0, 0, 0) }

    static func == (lhs: KeyMaterial, rhs: KeyMaterial) -> Bool { lhs.words == rhs.words }

    func hash(into hasher: inout Hasher) {
        hasher.combine(words.0); hasher.combine(words.1); hasher.combine(words.2); hasher.combine(words.3)
    }

    // MARK: Text forms

    /// Standard (RFC 4648, padded) base64, the form `wg genkey` prints and Kubernetes objects carry.
    var base64: String {
        var text = [CChar](repeating: 0, count: Self.base64Length + 1)
        withBytes { _ = sodium_bin2base64(&text, text.count, $0, Self.byteCount, sodium_base64_VARIANT_ORIGINAL) }
        return String(decoding: text.prefix(Self.base64Length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Decodes standard base64 text of exactly 44 characters. libsodium rejects characters outside
    /// the alphabet, bad padding and non-zero trailing bits, so each key has exactly one text form.
    init(base64 text: String) throws(KeyMaterialError) {
        let utf8 = Array(text.utf8)
        guard utf8.count == Self.base64Length else { throw .wrongLength(utf8.count) }
        var decoded = [UInt8](repeating: 0, count: Self.byteCount)
        var decodedLength = 0
        let status = utf8.withUnsafeBufferPointer { input in
            input.withMemoryRebound(to: CChar.self) { chars in
                sodium_base642bin(&decoded, decoded.count, chars.baseAddress, chars.count, nil,
                                  &decodedLength, nil, sodium_base64_VARIANT_ORIGINAL)
            }
        }
        guard status == 0, decodedLength == Self.byteCount, let key = KeyMaterial(decoded) else {
            throw .notBase64
        }
        self = key
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// Lower-case hex, the form the userspace API (UAPI) uses.
    var hex: String {
        withBytes { bytes in
            String(unsafeUninitializedCapacity: Self.byteCount * 2) { out in
                for index in 0..<Self.byteCount {
                    out[2 * index] = Self.hexDigits[Int(bytes[index] >> 4)]
                    out[2 * index + 1] = Self.hexDigits[Int(bytes[index] & 0x0f)]
                }
                return Self.byteCount * 2
            }
        }
    }

    /// Parses 64 hex digits (either case); nil for anything else.
    init?(hex text: some Collection<UInt8>) {
        guard text.count == Self.byteCount * 2 else { return nil }
        var bytes = [UInt8](repeating: 0, count: Self.byteCount)
        var index = text.startIndex
        for position in 0..<Self.byteCount {
            guard let high = Self.nibble(text[index]) else { return nil }
            index = text.index(after: index)
            guard let low = Self.nibble(text[index]) else { return nil }
            index = text.index(after: index)
            bytes[position] = high << 4 | low
        }
        self.init(bytes)
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// Why key text was refused; the public key types turn it into a ``WireGuardError`` that names the field.
enum KeyMaterialError: Error {
    case wrongLength(Int)
    case notBase64

    var reason: String {
        switch self {
        case .wrongLength(let count): "expected \(KeyMaterial.base64Length) base64 characters (32 bytes), got \(count)"
        case .notBase64: "not valid standard base64 of 32 bytes"
        }
    }
}

/// libsodium must be initialised once before its randomness and curve functions are used;
/// `sodium_init` is thread-safe and returns at once after the first call.
enum Sodium {
    /// Throws when libsodium cannot initialise, which in practice means no source of randomness.
    static func ready() throws(WireGuardError) {
        guard sodium_init() >= 0 else { throw .cryptoUnavailable }
    }
}
