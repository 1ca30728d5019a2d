import Hummingbird

/// The request context of the emulators: who is calling (IMDS answers per caller address) and a way to drop
/// the connection (fault injection).
public struct PeerRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The caller's IP address, without port.
    public let peerAddress: String?
    let closeConnection: @Sendable () -> Void

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        let channel = source.channel
        peerAddress = channel.remoteAddress?.ipAddress
        closeConnection = { channel.close(promise: nil) }
    }
}

/// An answer before it becomes a Hummingbird response.
struct Answer: Sendable {
    var status: Int
    var headers: [String: String] = [:]
    var body: ARMValue?
    /// Bytes sent as they are instead of `body`: what a proxy or a broken front end answers.
    var raw: (contentType: String, bytes: [UInt8])?

    init(status: Int, headers: [String: String] = [:], body: ARMValue? = nil, raw: (String, [UInt8])? = nil) {
        self.status = status
        self.headers = headers
        self.body = body
        self.raw = raw.map { (contentType: $0.0, bytes: $0.1) }
    }

    /// The same answer with only the first half of its body.
    func truncated() -> Answer {
        let bytes = raw?.bytes ?? body?.jsonBytes ?? []
        var copy = self
        copy.body = nil
        copy.raw = (raw?.contentType ?? "application/json; charset=utf-8", Array(bytes.prefix(bytes.count / 2)))
        return copy
    }

    init(_ error: ARMError) {
        self.init(status: error.status, headers: error.headers, body: error.envelope)
    }

    var response: Response {
        var fields = HTTPFields()
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) {
            if let field = HTTPFields.Element.Name(name) { fields.append(HTTPFields.Element(name: field, value: value)) }
        }
        if let raw {
            fields[.contentType] = raw.contentType
            return Response(status: .init(code: status), headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: raw.bytes)))
        }
        guard let body else {
            return Response(status: .init(code: status), headers: fields)
        }
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: .init(code: status), headers: fields,
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: body.jsonBytes)))
    }
}
