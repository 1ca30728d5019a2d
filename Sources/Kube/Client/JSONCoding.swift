import Foundation

/// The JSON encoder and decoder of the client, and errors that name the URL whose answer did not decode.
enum JSONCoding {
    static var decoder: JSONDecoder { JSONDecoder() }

    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }

    static func encode(_ value: some Encodable, what: String) throws(KubeError) -> [UInt8] {
        do {
            return [UInt8](try encoder.encode(value))
        } catch {
            throw .invalidRequest("cannot encode \(what) as JSON: \(error)")
        }
    }

    static func decode<T: Decodable>(
        _ type: T.Type, from body: [UInt8], method: String, url: String, code: Int
    ) throws(KubeError) -> T {
        do {
            return try decoder.decode(T.self, from: Data(body))
        } catch {
            throw .unexpectedResponse(method: method, url: url, code: code,
                                      detail: "cannot decode \(T.self): \(describe(error, body: body))")
        }
    }

    /// A decoding error in a sentence: the member path and the problem, or the start of a body that is not JSON.
    static func describe(_ error: any Error, body: [UInt8]) -> String {
        guard let error = error as? DecodingError else { return String(describing: error) }
        func path(_ keys: [any CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        }
        switch error {
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            let start = String(decoding: body.prefix(120), as: UTF8.self)
            return "not JSON (the answer starts with \"\(start)\")"
        case .dataCorrupted(let context):
            return "\(path(context.codingPath)): \(context.debugDescription)"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "\(path(context.codingPath)): \(context.debugDescription)"
        case .keyNotFound(let key, let context):
            return "\(path(context.codingPath + [key])): missing"
        @unknown default:
            return String(describing: error)
        }
    }
}

/// Percent-encoding of query parameters: everything but RFC 3986 unreserved characters is escaped, so selectors
/// (`a in (x,y)`, `!b`) and continue tokens arrive intact.
enum QueryString {
    static func encode(_ pairs: [(String, String)]) -> String {
        pairs.map { "\(escape($0.0))=\(escape($0.1))" }.joined(separator: "&")
    }

    static func escape(_ text: String) -> String {
        var escaped = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                 UInt8(ascii: "~"):
                escaped.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                escaped += byte < 16 ? "%0\(hex)" : "%\(hex)"
            }
        }
        return escaped
    }
}
