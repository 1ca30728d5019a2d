import Kube

/// A minimal OpenAPI v3 surface: the index of group-versions and, for each, the object paths with their PATCH
/// operation tagged by kind and offering the `fieldValidation` query parameter.
///
/// kubectl (`create -f`, `apply`) validates manifests before sending them: it asks OpenAPI v3 whether the server
/// validates fields itself and, if so, sends `fieldValidation=Strict` and leaves validation to the server, which
/// this emulator does for custom resources. Without these documents kubectl falls back to client-side validation
/// with OpenAPI v2 and fails. Schemas are not published (`kubectl explain` is not supported).
enum OpenAPI {
    static func index(_ registry: ResourceRegistry) -> JSONValue {
        var paths: [String: JSONValue] = ["api/v1": ["serverRelativeURL": "/openapi/v3/api/v1"]]
        for group in registry.groups {
            for version in group.versions {
                paths["apis/\(group.name)/\(version)"] = ["serverRelativeURL": .string("/openapi/v3/apis/\(group.name)/\(version)")]
            }
        }
        return ["paths": .object(paths)]
    }

    static func document(_ registry: ResourceRegistry, group: String, version: String) -> JSONValue? {
        let types = registry.resources(group: group, version: version)
        guard !types.isEmpty else { return nil }
        let prefix = group.isEmpty ? "/api/\(version)" : "/apis/\(group)/\(version)"
        var paths: [String: JSONValue] = [:]
        let fieldValidation: JSONValue = [
            "name": "fieldValidation", "in": "query", "schema": ["type": "string", "uniqueItems": true],
            "description": "How the server treats unknown or duplicate fields: Ignore, Warn or Strict.",
        ]
        for type in types {
            let gvk: JSONValue = ["group": .string(group), "version": .string(version), "kind": .string(type.kind)]
            let operation: JSONValue = [
                "operationId": .string("patch\(type.kind)"), "x-kubernetes-action": "patch",
                "x-kubernetes-group-version-kind": gvk, "parameters": [fieldValidation],
                "responses": ["200": ["description": "OK"]],
            ]
            let create: JSONValue = [
                "operationId": .string("create\(type.kind)"), "x-kubernetes-action": "post",
                "x-kubernetes-group-version-kind": gvk, "parameters": [fieldValidation],
                "responses": ["201": ["description": "Created"]],
            ]
            let collection = type.namespaced ? "\(prefix)/namespaces/{namespace}/\(type.plural)" : "\(prefix)/\(type.plural)"
            paths["\(collection)/{name}"] = ["patch": operation]
            paths[collection] = ["post": create]
        }
        return [
            "openapi": "3.0.0",
            "info": ["title": "Kubernetes", "version": "v1.32.0"],
            "paths": .object(paths),
            "components": ["schemas": .object([:])],
        ]
    }
}
