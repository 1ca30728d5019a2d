#if canImport(Glibc)
import Glibc
#endif
import Netlink
import Testing
@testable import WireGuard

@Suite("WireGuard keys")
struct KeyTests {
    /// RFC 7748 §6.1: Alice's X25519 key pair.
    static let rfcPrivate: [UInt8] = hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
    static let rfcPublic: [UInt8] = hex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")

    @Test func derivesThePublicKeyOfTheRFCVector() throws {
        let key = try PrivateKey(bytes: Self.rfcPrivate)
        #expect(key.publicKey.bytes == Self.rfcPublic)
    }

    @Test func generatedKeysAreClampedAndDistinct() throws {
        let first = try PrivateKey.generate()
        let second = try PrivateKey.generate()
        #expect(first != second)
        for key in [first, second] {
            #expect(key.bytes[0] & 7 == 0)
            #expect(key.bytes[31] & 0x80 == 0)
            #expect(key.bytes[31] & 0x40 == 0x40)
        }
        #expect(first.publicKey != second.publicKey)
    }

    @Test func base64RoundTrips() throws {
        let key = try PrivateKey.generate()
        let text = key.base64
        #expect(text.utf8.count == 44)
        #expect(text.hasSuffix("="))
        #expect(try PrivateKey(base64: text) == key)
        let publicKey = key.publicKey
        #expect(try PublicKey(base64: publicKey.base64) == publicKey)
        #expect(publicKey.description == publicKey.base64)
    }

    @Test(arguments: [
        ("", "got 0"),
        ("hVHw8JiTCnVHSLfdyzSO91oNvzoNJjga9OukqY6qm04", "got 43"),
        ("hVHw8JiTCnVHSLfdyzSO91oNvzoNJjga9OukqY6qm04==", "got 45"),
        ("hVHw8JiTCnVHSLfdyzSO91oNvzoNJjga9Ouk*Y6qm04=", "not valid"),
        ("hVHw8JiTCnVHSLfdyzSO91oNvzoNJjga9OukqY6qm05=", "not valid"), // non-zero trailing bits
        ("hVHw8JiTCnVHSLfdyzSO91oNvzoNJjga9OukqY6qm0==", "not valid"),
    ])
    func malformedPublicKeysNameFieldAndValue(text: String, reason: String) {
        #expect {
            try PublicKey(base64: text, field: "spec.podPublicKey")
        } throws: { error in
            guard let error = error as? WireGuardError, case .invalidKey(let field, let value, let why) = error else { return false }
            let message = "\(error)"
            return field == "spec.podPublicKey" && value == text && why.contains(reason)
                && message.contains("spec.podPublicKey") && message.contains("\"\(text)\"")
        }
    }

    @Test func malformedPrivateKeyIsNeverEchoed() throws {
        let secret = try PrivateKey.generate().base64
        let broken = String(secret.dropLast(2)) + "!="
        for text in [broken, String(secret.dropLast()), secret + "A"] {
            do {
                _ = try PrivateKey(base64: text, field: "PrivateKey")
                Issue.record("\(text.count)-character private key was accepted")
            } catch {
                let message = "\(error)"
                #expect(message.contains("PrivateKey"))
                #expect(message.contains("redacted"))
                #expect(!message.contains(String(secret.prefix(20))))
                #expect(error == .invalidKey(field: "PrivateKey", value: nil, reason: error.reasonForTest))
            }
        }
        #expect(throws: WireGuardError.self) { try PresharedKey(base64: broken) }
    }

    @Test func secretsAreRedactedEverywhere() throws {
        let key = try PrivateKey.generate()
        let psk = try PresharedKey.generate()
        let secretTexts = [key.base64, psk.base64]
        var dumped = ""
        dump(key, to: &dumped)
        dump(psk, to: &dumped)
        let device = Device(name: "wg0", privateKey: key, peers: [Peer(publicKey: key.publicKey, presharedKey: psk)])
        let configuration = DeviceConfiguration(privateKey: key, peers: [PeerConfiguration(publicKey: key.publicKey, presharedKey: psk)])
        let rendered = [
            "\(key)", String(reflecting: key), "\(psk)", String(reflecting: psk), dumped,
            "\(device)", String(reflecting: device), "\(configuration)", String(reflecting: configuration),
        ]
        #expect("\(key)" == "PrivateKey(redacted)")
        for text in rendered {
            for secret in secretTexts { #expect(!text.contains(secret), "\(text)") }
        }
        // The public key is not secret and prints as itself.
        #expect("\(device)".contains(key.publicKey.base64))
    }

    @Test func wrongByteCountsAreRefused() {
        #expect(throws: WireGuardError.self) { try PrivateKey(bytes: [UInt8](repeating: 1, count: 31)) }
        #expect(throws: WireGuardError.self) { try PublicKey(bytes: [UInt8](repeating: 1, count: 33)) }
    }

    @Test(.enabled(if: getuid() == 0, "runs wg(8) through NetworkNamespace.execute, which needs root"))
    func matchesWireGuardTools() throws {
        let tool = NetworkNamespace.process
        for _ in 0..<5 {
            let generated = try tool.executeChecked("wg", ["genkey"]).stdout.trimmingWhitespace()
            let expected = try tool.executeChecked("wg", ["pubkey"], input: Array((generated + "\n").utf8)).stdout.trimmingWhitespace()
            #expect(try PrivateKey(base64: generated).publicKey.base64 == expected)

            let ours = try PrivateKey.generate()
            let theirs = try tool.executeChecked("wg", ["pubkey"], input: Array((ours.base64 + "\n").utf8)).stdout.trimmingWhitespace()
            #expect(ours.publicKey.base64 == theirs)
        }
    }
}

extension WireGuardError {
    var reasonForTest: String {
        if case .invalidKey(_, _, let reason) = self { return reason }
        return ""
    }
}

func hex(_ text: String) -> [UInt8] {
    var bytes: [UInt8] = []
    var index = text.startIndex
    while index < text.endIndex {
        let next = text.index(index, offsetBy: 2)
        bytes.append(UInt8(text[index..<next], radix: 16)!)
        index = next
    }
    return bytes
}

extension String {
    func trimmingWhitespace() -> String {
        var text = Substring(self)
        while let first = text.first, first.isWhitespace { text.removeFirst() }
        while let last = text.last, last.isWhitespace { text.removeLast() }
        return String(text)
    }
}
