import Foundation
import Kube
import Testing

/// Parses JSON text written in a test.
func json(_ text: String) throws -> JSONValue {
    try JSONValue(json: Data(text.utf8))
}

/// Decodes JSON text as `T`.
func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
    try JSONDecoder().decode(T.self, from: Data(text.utf8))
}

/// The JSON form of `value`, for comparisons that see every member and its presence.
func encoded(_ value: some Encodable) throws -> JSONValue {
    try JSONValue(encoding: value)
}

/// Decodes `text` as `T`, encodes it again, and expects exactly the same JSON: same members, same presence.
@discardableResult
func expectRoundTrip<T: Codable>(_ type: T.Type, _ text: String, sourceLocation: SourceLocation = #_sourceLocation)
    throws -> T
{
    let value = try decode(T.self, text)
    #expect(try encoded(value) == json(text), sourceLocation: sourceLocation)
    return value
}

/// The repository root, found from this file's path (tests run from any directory).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
