/// A failed ARM request, answered as ARM answers: `{"error":{"code","message"}}` with the HTTP status ARM uses
/// for that code.
public struct ARMError: Error, Sendable, Equatable, CustomStringConvertible {
    public var status: Int
    public var code: String
    public var message: String
    /// Extra response headers (`Retry-After`, `WWW-Authenticate`).
    public var headers: [String: String] = [:]
    /// The inner errors ARM lists under `details` (the resource provider's own reasons for a failed operation).
    public var details: [ARMError] = []

    public init(status: Int, code: String, message: String, headers: [String: String] = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    public var description: String { "\(status) \(code): \(message)" }

    /// The `error` object of the envelope (also the `error` of a failed operation).
    public var errorObject: ARMValue {
        var object: ARMValue = ["code": .string(code), "message": .string(message)]
        if !details.isEmpty { object["details"] = .array(details.map(\.errorObject)) }
        return object
    }

    public var envelope: ARMValue { ["error": errorObject] }

    static func notFound(_ id: ResourceID) -> ARMError {
        let type = id.kind.typeSegments.joined(separator: "/")
        return ARMError(status: 404, code: "ResourceNotFound",
                        message: "The Resource '\(id.kind.namespace)/\(type)/\(id.names.joined(separator: "/"))' under "
                            + "resource group '\(id.resourceGroup)' was not found.")
    }

    static func resourceGroupNotFound(_ name: String) -> ARMError {
        ARMError(status: 404, code: "ResourceGroupNotFound", message: "Resource group '\(name)' could not be found.")
    }

    static func subscriptionNotFound(_ subscription: String) -> ARMError {
        ARMError(status: 404, code: "SubscriptionNotFound", message: "The subscription '\(subscription)' could not be found.")
    }

    static func invalidResourceType(_ path: String) -> ARMError {
        ARMError(status: 404, code: "InvalidResourceType",
                 message: "The resource type of '\(path)' could not be found or is not served by this emulator.")
    }

    static func methodNotAllowed(_ method: String, _ path: String) -> ARMError {
        ARMError(status: 405, code: "MethodNotAllowed",
                 message: "The requested resource does not support http method '\(method)': \(path).")
    }

    static let missingAPIVersion = ARMError(
        status: 400, code: "MissingApiVersionParameter",
        message: "The api-version query parameter (?api-version=) is required for all requests.")

    static func unsupportedAPIVersion(_ version: String, kind: ResourceKind, supported: [String]) -> ARMError {
        ARMError(status: 400, code: "NoRegisteredProviderFound",
                 message: "No registered resource provider found for API version '\(version)' and type '\(kind.rawValue)'. "
                     + "The supported api-versions are '\(supported.joined(separator: ", "))'.")
    }

    static let unparsableBody = ARMError(status: 400, code: "InvalidRequestFormat", message: "Cannot parse the request.")

    /// A member of the body has the wrong JSON type or an unknown value.
    static func invalidFormat(_ path: String, _ problem: String) -> ARMError {
        ARMError(status: 400, code: "InvalidRequestFormat", message: "Cannot parse the request: \(path) \(problem).")
    }

    static func missingProperty(_ path: String, of owner: String) -> ARMError {
        ARMError(status: 400, code: "InvalidRequestFormat",
                 message: "Cannot parse the request: required property '\(path)' of \(owner) is missing.")
    }

    static func invalidParameter(_ message: String) -> ARMError {
        ARMError(status: 400, code: "InvalidParameter", message: message)
    }

    static let locationRequired = ARMError(status: 400, code: "LocationRequired",
                                           message: "The location property is required for this definition.")

    /// A body references a resource (or a child of one) that does not exist.
    static func invalidReference(_ reference: String, by id: String) -> ARMError {
        ARMError(status: 400, code: "InvalidResourceReference",
                 message: "Resource \(reference) referenced by resource \(id) was not found. Please make sure that the "
                     + "referenced resource exists, and that both resources are in the same region.")
    }

    static func preconditionFailed(_ ifMatch: String, _ id: ResourceID) -> ARMError {
        ARMError(status: 412, code: "PreconditionFailed",
                 message: "The condition If-Match: \(ifMatch) is not met by the current etag of \(id).")
    }

    static func anotherOperationInProgress(_ id: ResourceID) -> ARMError {
        ARMError(status: 409, code: "AnotherOperationInProgress",
                 message: "Another operation on this or dependent resource is in progress: \(id).")
    }

    static func throttled(retryAfter seconds: Int) -> ARMError {
        ARMError(status: 429, code: "TooManyRequests",
                 message: "The request is being throttled; retry after \(seconds) seconds.",
                 headers: ["Retry-After": String(seconds)])
    }

    static func serviceUnavailable(retryAfter seconds: Int) -> ARMError {
        ARMError(status: 503, code: "ServerBusy", message: "The server is currently unable to handle the request.",
                 headers: ["Retry-After": String(seconds)])
    }

    static let internalServerError = ARMError(
        status: 500, code: "InternalServerError",
        message: "An error has occurred in the emulated resource provider; the request may be retried.")
}
