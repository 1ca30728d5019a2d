/// An HTTP method. Any RFC 9110 token is accepted; the common ones have names.
public struct HTTPMethod: RawRepresentable, Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }

    public static let get: HTTPMethod = "GET"
    public static let head: HTTPMethod = "HEAD"
    public static let post: HTTPMethod = "POST"
    public static let put: HTTPMethod = "PUT"
    public static let patch: HTTPMethod = "PATCH"
    public static let delete: HTTPMethod = "DELETE"
    public static let options: HTTPMethod = "OPTIONS"

    public var description: String { rawValue }
}

/// Limits on how long a request may take.
public struct HTTPTimeouts: Sendable, Equatable {
    /// Name resolution, TCP connect and TLS handshake together.
    public var connect: Duration
    /// The whole exchange, from start to the last body byte; nil for none (watches, long polls).
    public var total: Duration?
    /// Abort when no byte arrives for this long; nil for none. Time spent paused because the
    /// consumer of a stream is not reading does not count.
    public var idle: Duration?

    public init(connect: Duration = .seconds(10), total: Duration? = .seconds(60), idle: Duration? = nil) {
        self.connect = connect
        self.total = total
        self.idle = idle
    }

    /// The default for ``HTTPClient/execute(_:)``: 10 s to connect, 60 s in all.
    public static let request = HTTPTimeouts()
    /// The default for ``HTTPClient/stream(_:)``: 10 s to connect, no total and no idle limit,
    /// because a quiet stream (a watch with nothing to report) is legitimate.
    public static let stream = HTTPTimeouts(total: nil)
}

/// A request: method, absolute `http`/`https` URL, header fields and an optional body.
public struct HTTPRequest: Sendable {
    public var method: HTTPMethod
    /// The absolute URL, query included. When the client targets a unix socket, its host still
    /// becomes the `Host` header.
    public var url: String
    public var headers: HTTPHeaders
    /// The body bytes; nil sends none. Without a `Content-Type` header, none is sent.
    public var body: [UInt8]?
    /// Overrides the client's defaults for this request.
    public var timeouts: HTTPTimeouts?

    public init(method: HTTPMethod = .get, url: String, headers: HTTPHeaders = [:], body: [UInt8]? = nil, timeouts: HTTPTimeouts? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeouts = timeouts
    }
}

/// A complete response. Any status, including 4xx and 5xx, is a response.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(status: Int, headers: HTTPHeaders, body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The body decoded as UTF-8 (invalid sequences replaced).
    public var text: String { String(decoding: body, as: UTF8.self) }
}

/// A response whose status and headers have arrived and whose body is still streaming in.
///
/// The transfer runs until the body ends, the body is cancelled, the task reading it is cancelled,
/// or the last copy of this response (and of its body and iterators) is released.
public struct HTTPStreamingResponse: Sendable {
    public let status: Int
    public let headers: HTTPHeaders
    public let body: HTTPResponseBody
}
