import Kube

/// A failed API request, answered as a meta/v1 `Status` with the HTTP code the real API server uses.
struct APIError: Error, CustomStringConvertible {
    var status: Status
    /// Extra response headers (`Retry-After` on 429).
    var headers: [(String, String)] = []

    init(_ status: Status) { self.status = status }

    init(code: Int32, reason: StatusReason, message: String, details: StatusDetails? = nil) {
        status = Status(code: code, reason: reason, message: message, details: details)
    }

    var description: String { status.message }

    /// `pods "web" not found`: the resource is named by its plural (and group), as kube-apiserver does.
    static func notFound(_ resource: ResourceType, _ name: String) -> APIError {
        APIError(code: 404, reason: .notFound, message: "\(resource.qualifiedPlural) \"\(name)\" not found",
                 details: StatusDetails(name: name, group: resource.group, kind: resource.plural))
    }

    static func alreadyExists(_ resource: ResourceType, _ name: String) -> APIError {
        APIError(code: 409, reason: .alreadyExists,
                 message: "\(resource.qualifiedPlural) \"\(name)\" already exists",
                 details: StatusDetails(name: name, group: resource.group, kind: resource.plural))
    }

    static func conflict(_ resource: ResourceType, _ name: String, _ detail: String) -> APIError {
        APIError(code: 409, reason: .conflict,
                 message: "Operation cannot be fulfilled on \(resource.qualifiedPlural) \"\(name)\": \(detail)",
                 details: StatusDetails(name: name, group: resource.group, kind: resource.plural))
    }

    static func staleResourceVersion(_ resource: ResourceType, _ name: String) -> APIError {
        conflict(resource, name, "the object has been modified; please apply your changes to the latest version and try again")
    }

    static func invalid(_ resource: ResourceType, _ name: String, _ errors: [FieldError]) -> APIError {
        APIError(InvalidObjectError(group: resource.group, kind: resource.kind, name: name, errors: errors).status)
    }

    static func badRequest(_ message: String) -> APIError {
        APIError(code: 400, reason: .badRequest, message: message)
    }

    static func forbidden(_ message: String) -> APIError {
        APIError(code: 403, reason: .forbidden, message: message)
    }

    static func methodNotAllowed(_ message: String) -> APIError {
        APIError(code: 405, reason: .methodNotAllowed, message: message)
    }

    static func unsupportedMediaType(_ contentType: String) -> APIError {
        APIError(code: 415, reason: StatusReason(rawValue: "UnsupportedMediaType"),
                 message: "the body of the request was in an unknown format - accepted media types include: "
                    + "application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json"
                    + " (got \"\(contentType)\")")
    }

    /// 410 for a watch or continue token older than the retained history.
    static func gone(_ message: String) -> APIError {
        APIError(code: 410, reason: .expired, message: message)
    }

    static func pathNotFound(_ path: String) -> APIError {
        APIError(code: 404, reason: .notFound, message: "the server could not find the requested resource",
                 details: StatusDetails(name: "", group: "", kind: "", causes: [
                     StatusCause(reason: "UnexpectedServerResponse", message: "404 page not found: \(path)", field: ""),
                 ]))
    }

    static func internalError(_ message: String) -> APIError {
        APIError(code: 500, reason: .internalError, message: "Internal error occurred: \(message)")
    }
}

/// Status as JSON, as every error body and some delete answers carry it.
extension Status {
    var json: JSONValue {
        (try? JSONValue(encoding: self)) ?? .object(["kind": "Status", "apiVersion": "v1", "message": .string(message)])
    }
}
