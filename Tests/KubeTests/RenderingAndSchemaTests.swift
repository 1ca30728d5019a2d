import Foundation
import Kube
import Testing
import Yams

@Suite struct YAMLRenderingTests {
    @Test func quotesStringsThatWouldReadAsOtherTypes() throws {
        let value: JSONValue = [
            "bool": true, "boolText": "true", "int": 6000, "intText": "6000", "null": nil, "nullText": "null",
            "empty": "", "rule": "!has(self.x) || self.x != ''", "list": [], "object": [:], "float": 0.5,
        ]
        let text = try YAMLRendering.document(value)
        #expect(text.hasPrefix("---\n"))
        let keys = text.split(separator: "\n").dropFirst().map { $0.split(separator: ":")[0].filter { $0 != "'" } }
        #expect(keys == keys.sorted())
        // Reading the YAML back gives the same types, not booleans and numbers for strings.
        let reread = try #require(try Yams.load(yaml: text) as? [String: Any])
        #expect(reread["boolText"] as? String == "true")
        #expect(reread["intText"] as? String == "6000")
        #expect(reread["nullText"] as? String == "null")
        #expect(reread["bool"] as? Bool == true)
        #expect(reread["int"] as? Int == 6000)
        #expect(reread["rule"] as? String == "!has(self.x) || self.x != ''")
        #expect(reread["empty"] as? String == "")
        #expect(text.contains("object: {}\n") && text.contains("list: []\n"))
    }
}

@Suite struct CustomResourceDefinitionModelTests {
    /// A CRD as another generator writes it; the model reads it and writes back every member.
    static let crd = #"""
    {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
     "metadata": {"name": "widgets.example.com", "annotations": {"controller-gen.kubebuilder.io/version": "v0.19.0"}},
     "spec": {"group": "example.com", "scope": "Namespaced",
              "names": {"kind": "Widget", "listKind": "WidgetList", "plural": "widgets", "singular": "widget",
                        "shortNames": ["wd"]},
              "versions": [{"name": "v1", "served": true, "storage": true,
                            "subresources": {"status": {}},
                            "additionalPrinterColumns": [{"name": "Size", "type": "integer", "jsonPath": ".spec.size"}],
                            "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                              "spec": {"type": "object", "required": ["size"],
                                       "x-kubernetes-validations": [{"rule": "self.size > 0", "message": "positive"}],
                                       "properties": {
                                         "size": {"type": "integer", "format": "int32", "minimum": 1, "maximum": 10,
                                                  "default": 3},
                                         "tags": {"type": "array", "items": {"type": "string"},
                                                  "x-kubernetes-list-type": "set"},
                                         "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                                         "mode": {"type": "string", "enum": ["a", "b"]}}},
                              "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}}}],
              "conversion": {"strategy": "None"}}}
    """#

    @Test func roundTripsAForeignCRD() throws {
        let crd = try expectRoundTrip(CustomResourceDefinition.self, Self.crd)
        let version = try #require(crd.spec.versions.first)
        #expect(version.hasStatusSubresource)
        let spec = try #require(version.schema?.properties["spec"])
        #expect(spec.required == ["size"])
        #expect(spec.validations.first?.rule == "self.size > 0")
        #expect(spec.properties["size"]?.minimum == 1 && spec.properties["size"]?.defaultValue == 3)
        #expect(spec.properties["tags"]?.items?.type == "string")
        #expect(spec.properties["labels"]?.unknownFields["additionalProperties"] == ["type": "string"])
        #expect(spec.properties["mode"]?.enumValues == ["a", "b"])
        #expect(version.schema?.properties["status"]?.preservesUnknownFields == true)
        #expect(crd.spec.unknownFields["conversion"] == ["strategy": "None"])
    }

    @Test func generatedDefinitionFollowsControllerGenLayout() throws {
        let resource = ResourceDescriptor(group: "example.com", version: "v1", kind: "Widget", plural: "widgets",
                                          namespaced: false)
        let crd = CustomResourceDefinition(resource: resource, description: "A widget.",
                                           spec: .object("Spec.", fields: [CodingField<Widget>]()), status: nil,
                                           shortNames: ["wd"], categories: ["all"])
        let value = try encoded(crd)
        #expect(value["metadata"] == ["name": "widgets.example.com"])
        #expect(value["spec"]?["scope"] == "Cluster")
        #expect(value["spec"]?["names"] == [
            "plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList",
            "shortNames": ["wd"], "categories": ["all"],
        ])
        let version = try #require(value["spec"]?["versions"]?.arrayValue?.first)
        #expect(version["subresources"] == nil)
        #expect(version["schema"]?["openAPIV3Schema"]?["properties"]?["metadata"] == ["type": "object"])
        #expect(version["schema"]?["openAPIV3Schema"]?["properties"]?["status"] == nil)
    }
}

/// A minimal model for schema tests.
struct Widget: PreservingCodable, Equatable {
    var size: Int32 = 0
    var unknownFields: [String: JSONValue] = [:]
    static let codingFields: [CodingField<Widget>] = [
        .omitEmpty("size", \.size, schema: .integer("Size.", minimum: 1)),
    ]
}

@Suite struct PreservingCodableTests {
    @Test func aKnownMemberWinsOverAStaleUnknownCopy() throws {
        var widget = Widget(size: 2)
        widget.unknownFields = ["size": 9, "colour": "red"]
        #expect(try encoded(widget) == ["size": 2, "colour": "red"])
    }

    @Test func unknownNullMembersSurvive() throws {
        let widget = try decode(Widget.self, #"{"size": 1, "later": null}"#)
        #expect(widget.unknownFields == ["later": nil])
        #expect(try encoded(widget) == ["size": 1, "later": nil])
    }

    @Test func nullAndAbsentMembersKeepTheirDefaults() throws {
        #expect(try decode(Widget.self, #"{"size": null}"#) == Widget())
        #expect(try decode(Widget.self, #"{}"#) == Widget())
        #expect(throws: DecodingError.self) { try decode(Widget.self, #"{"size": "big"}"#) }
    }

    @Test func fieldSchemasBecomeObjectProperties() {
        let schema = JSONSchema.object("W.", fields: Widget.codingFields, required: ["size"])
        #expect(schema.type == "object")
        #expect(schema.properties["size"]?.minimum == 1)
        #expect(schema.properties["size"]?.format == "int32")
        #expect(schema.required == ["size"])
    }
}
