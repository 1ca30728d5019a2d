import Kube

/// CustomResourceDefinitions used by the tests: a namespaced `Widget` with a status subresource, a schema with
/// defaults and every validation the emulator checks, and printer columns; and a cluster-scoped `Gadget` that keeps
/// unknown fields.
enum CRDFixtures {
    static let widgetsPath = "/apis/example.com/v1/namespaces/default/widgets"

    static var widget: JSONValue {
        [
            "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": ["name": "widgets.example.com"],
            "spec": [
                "group": "example.com", "scope": "Namespaced",
                "names": ["plural": "widgets", "singular": "widget", "kind": "Widget", "shortNames": ["wd"]],
                "versions": [[
                    "name": "v1", "served": true, "storage": true,
                    "subresources": ["status": .object([:])],
                    "additionalPrinterColumns": [
                        ["name": "Size", "type": "integer", "jsonPath": ".spec.size"],
                        ["name": "Color", "type": "string", "jsonPath": ".spec.color"],
                        ["name": "Phase", "type": "string", "jsonPath": ".status.phase", "priority": 1],
                    ],
                    "schema": ["openAPIV3Schema": [
                        "type": "object",
                        "properties": [
                            "spec": [
                                "type": "object",
                                "required": ["size"],
                                "properties": [
                                    "size": ["type": "integer", "minimum": 1, "maximum": 10],
                                    "color": ["type": "string", "enum": ["red", "green", "blue"], "default": "red"],
                                    "code": ["type": "string", "pattern": "^[a-z]{3}$", "maxLength": 3],
                                    "tags": ["type": "array", "maxItems": 2, "items": ["type": "string"]],
                                    "options": [
                                        "type": "object",
                                        "properties": ["retries": ["type": "integer", "default": 3]],
                                        "default": .object([:]),
                                    ],
                                    "extra": ["type": "object", "x-kubernetes-preserve-unknown-fields": true],
                                ],
                            ],
                            "status": ["type": "object", "properties": ["phase": ["type": "string"]]],
                        ],
                    ]],
                ]],
            ],
        ]
    }

    static var gadget: JSONValue {
        [
            "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": ["name": "gadgets.example.com"],
            "spec": [
                "group": "example.com", "scope": "Cluster",
                "names": ["plural": "gadgets", "singular": "gadget", "kind": "Gadget"],
                "versions": [[
                    "name": "v1", "served": true, "storage": true,
                    "schema": ["openAPIV3Schema": ["type": "object", "x-kubernetes-preserve-unknown-fields": true]],
                ]],
            ],
        ]
    }

    static func widget(_ name: String, size: Int64 = 3, extra: [String: JSONValue] = [:]) -> JSONValue {
        var spec: [String: JSONValue] = ["size": .integer(size)]
        for (key, value) in extra { spec[key] = value }
        return ["apiVersion": "example.com/v1", "kind": "Widget", "metadata": ["name": .string(name)], "spec": .object(spec)]
    }
}
