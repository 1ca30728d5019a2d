import Foundation
import Yams
import Hummingbird
import Kube

/// One request as the API handlers see it: method, path segments, decoded query, the headers that matter and the
/// body, plus the user authentication resolved.
struct APIRequest: Sendable {
    var method: HTTPRequest.Method
    var path: String
    var segments: [String]
    var query: [String: String]
    var accept: String
    var contentType: String
    var body: [UInt8]
    var user: UserInfo

    func flag(_ name: String) -> Bool {
        guard let value = query[name] else { return false }
        return value == "true" || value == "1"
    }

    /// `dryRun=All`.
    var isDryRun: Bool { query["dryRun"] == "All" }

    /// The body as JSON (protobuf bodies of a few kinds are converted); 400 when it is not.
    func jsonBody() throws(APIError) -> JSONValue {
        guard !body.isEmpty else { throw APIError.badRequest("the request body is empty") }
        if contentType.contains("application/vnd.kubernetes.protobuf") { return try ProtobufBody.decode(body) }
        do {
            return try JSONReader.parse(body)
        } catch {
            throw APIError.badRequest("couldn't decode the request body as JSON: \(error)")
        }
    }

    /// An apply configuration: JSON (what kubectl sends) or YAML.
    func yamlOrJSONBody() throws(APIError) -> JSONValue {
        if let json = try? JSONReader.parse(body) { return json }
        do {
            return try YAMLDecoder().decode(JSONValue.self, from: String(decoding: body, as: UTF8.self))
        } catch {
            throw APIError.badRequest("couldn't decode the apply configuration as YAML or JSON: \(error)")
        }
    }

    /// Splits and percent-decodes `a=b&c=d` (with `+` as space), as Go's url.ParseQuery does.
    static func parseQuery(_ query: String?) -> [String: String] {
        var result: [String: String] = [:]
        for pair in (query ?? "").split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = decode(parts[0])
            result[key] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return result
    }

    private static func decode(_ text: Substring) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }
}

/// Building responses.
enum Reply {
    static func json(_ value: JSONValue, status: Int = 200, headers: [(String, String)] = []) -> Response {
        var fields: HTTPFields = [.contentType: "application/json"]
        for (name, value) in headers {
            if let name = HTTPFields.Element.Name(name) { fields.append(HTTPFields.Element(name: name, value: value)) }
        }
        let bytes = JSONWriter.encode(value)
        return Response(status: .init(code: status), headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func error(_ error: APIError) -> Response {
        json(error.status.json, status: Int(error.status.code), headers: error.headers)
    }
}
