import EgressGatewayAPI
import Foundation
import Kube
import Testing
import Yams

/// The generated CRDs, read back with a YAML parser, against the upstream schema as the spec
/// describes it (§1) and against the models they must carry without pruning.
@Suite struct CRDSchemaTests {
    /// A generated CRD file parsed as YAML, independent of the generator's model types. (CRDGoldenTests checks
    /// that deploy/crds holds the same bytes.)
    static func load(_ plural: String) throws -> JSONValue {
        let name = "\(EgressGateway.group)_\(plural).yaml"
        let text = try #require(try CustomResourceDefinitions.files().first { $0.name == name }?.contents)
        return try JSONValue(yaml: try #require(try Yams.load(yaml: text)))
    }

    static func schema(_ crd: JSONValue) throws -> JSONValue {
        let version = try #require(crd["spec"]?["versions"]?.arrayValue?.first)
        return try #require(version["schema"]?["openAPIV3Schema"])
    }

    static let plurals = ["staticgatewayconfigurations", "gatewaylbconfigurations", "gatewayvmconfigurations",
                          "gatewaystatuses", "podendpoints"]

    /// Upstream's schema, path by path: `type` plus the other facts the spec lists. Array items are `path[]`.
    static let targetSpec: [String: JSONValue] = [
        "spec": ["type": "object", "required": ["provisionPublicIps"]],
        "spec.gatewayNodepoolName": ["type": "string"],
        "spec.gatewayVmssProfile": ["type": "object"],
        "spec.gatewayVmssProfile.vmssResourceGroup": ["type": "string"],
        "spec.gatewayVmssProfile.vmssName": ["type": "string"],
        "spec.gatewayVmssProfile.publicIpPrefixSize": ["type": "integer", "format": "int32", "minimum": 0, "maximum": 31],
        "spec.provisionPublicIps": ["type": "boolean", "default": true],
        "spec.publicIpPrefixId": ["type": "string"],
    ]
    static let common: [String: JSONValue] = [
        "": ["type": "object"], "apiVersion": ["type": "string"], "kind": ["type": "string"],
        "metadata": ["type": "object"], "status": ["type": "object"],
    ]
    static let upstream: [String: [String: JSONValue]] = [
        "staticgatewayconfigurations": common.merging(targetSpec) { $1 }.merging([
            "spec.defaultRoute": ["type": "string", "enum": ["azureNetworking", "staticEgressGateway"],
                                  "default": "staticEgressGateway"],
            "spec.excludeCidrs": ["type": "array"], "spec.excludeCidrs[]": ["type": "string"],
            "status.egressIpPrefix": ["type": "string"],
            "status.gatewayServerProfile": ["type": "object"],
            "status.gatewayServerProfile.ip": ["type": "string"],
            "status.gatewayServerProfile.port": ["type": "integer", "format": "int32"],
            "status.gatewayServerProfile.publicKey": ["type": "string"],
            "status.gatewayServerProfile.privateKeySecretRef": ["type": "object", "x-kubernetes-map-type": "atomic"],
            "status.gatewayServerProfile.privateKeySecretRef.apiVersion": ["type": "string"],
            "status.gatewayServerProfile.privateKeySecretRef.fieldPath": ["type": "string"],
            "status.gatewayServerProfile.privateKeySecretRef.kind": ["type": "string"],
            "status.gatewayServerProfile.privateKeySecretRef.name": ["type": "string"],
            "status.gatewayServerProfile.privateKeySecretRef.namespace": ["type": "string"],
            "status.gatewayServerProfile.privateKeySecretRef.resourceVersion": ["type": "string"],
            "status.gatewayServerProfile.privateKeySecretRef.uid": ["type": "string"],
        ]) { $1 },
        "gatewaylbconfigurations": common.merging(targetSpec) { $1 }.merging([
            "status.frontendIp": ["type": "string"],
            "status.serverPort": ["type": "integer", "format": "int32"],
            "status.egressIpPrefix": ["type": "string"],
        ]) { $1 },
        "gatewayvmconfigurations": common.merging(targetSpec) { $1 }.merging([
            "status.egressIpPrefix": ["type": "string"],
            "status.gatewayVMProfiles": ["type": "array"], "status.gatewayVMProfiles[]": ["type": "object"],
            "status.gatewayVMProfiles[].nodeName": ["type": "string"],
            "status.gatewayVMProfiles[].primaryIP": ["type": "string"],
            "status.gatewayVMProfiles[].secondaryIP": ["type": "string"],
        ]) { $1 },
        "gatewaystatuses": common.merging([
            "spec": ["type": "object"],
            "spec.readyGatewayConfigurations": ["type": "array"], "spec.readyGatewayConfigurations[]": ["type": "object"],
            "spec.readyGatewayConfigurations[].staticGatewayConfiguration": ["type": "string"],
            "spec.readyGatewayConfigurations[].interfaceName": ["type": "string"],
            "spec.readyPeerConfigurations": ["type": "array"], "spec.readyPeerConfigurations[]": ["type": "object"],
            "spec.readyPeerConfigurations[].podEndpoint": ["type": "string"],
            "spec.readyPeerConfigurations[].interfaceName": ["type": "string"],
            "spec.readyPeerConfigurations[].publicKey": ["type": "string"],
        ]) { $1 },
        "podendpoints": common.merging([
            "spec": ["type": "object"],
            "spec.staticGatewayConfiguration": ["type": "string"],
            "spec.podIpAddress": ["type": "string"],
            "spec.podPublicKey": ["type": "string"],
        ]) { $1 },
    ]

    /// Paths the Swift version adds; old readers ignore them.
    static func isAdditive(_ path: String) -> Bool {
        path == "status.observedGeneration" || path == "status.conditions" || path.hasPrefix("status.conditions[]")
    }

    @Test(arguments: plurals)
    func upstreamSchemaIsKeptExactly(_ plural: String) throws {
        let nodes = schemaNodes(try Self.schema(Self.load(plural)))
        let expected = try #require(Self.upstream[plural])
        for (path, facts) in expected {
            let node = try #require(nodes[path], "\(plural): missing \(path)")
            for (key, value) in try #require(facts.objectValue) {
                #expect(node[key] == value, "\(plural) \(path).\(key)")
            }
            // No bound, default or enum that upstream does not have.
            for key in ["minimum", "maximum", "enum", "default", "pattern"] where facts[key] == nil {
                #expect(node[key] == nil, "\(plural) \(path) has an extra \(key)")
            }
        }
        let extra = Set(nodes.keys).subtracting(expected.keys).filter { !Self.isAdditive($0) }
        #expect(extra.isEmpty, "\(plural): paths upstream does not have: \(extra.sorted())")
    }

    @Test(arguments: plurals)
    func definitionsAreNamespacedWithStatusSubresourceNamesAndCategory(_ plural: String) throws {
        let crd = try Self.load(plural)
        #expect(crd["apiVersion"] == "apiextensions.k8s.io/v1")
        #expect(crd["metadata"]?["name"] == .string("\(plural).\(EgressGateway.group)"))
        #expect(crd["spec"]?["group"] == .string(EgressGateway.group))
        #expect(crd["spec"]?["scope"] == "Namespaced")
        #expect(crd["spec"]?["names"]?["plural"] == .string(plural))
        #expect(crd["spec"]?["names"]?["categories"] == ["egressgateway"])
        let version = try #require(crd["spec"]?["versions"]?.arrayValue?.first)
        #expect(crd["spec"]?["versions"]?.arrayValue?.count == 1)
        #expect(version["name"] == "v1alpha1" && version["served"] == true && version["storage"] == true)
        #expect(version["subresources"] == ["status": [:]])
        let columns = version["additionalPrinterColumns"]?.arrayValue ?? []
        #expect(columns.last == ["name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"])
    }

    @Test func namesShortNamesAndPrinterColumnsOfEachKind() throws {
        var shortNames: [String: JSONValue] = [:]
        var kinds: [String: JSONValue] = [:]
        var columns: [String: [String]] = [:]
        for plural in Self.plurals {
            let crd = try Self.load(plural)
            shortNames[plural] = crd["spec"]?["names"]?["shortNames"]
            kinds[plural] = crd["spec"]?["names"]?["listKind"]
            let version = try #require(crd["spec"]?["versions"]?.arrayValue?.first)
            columns[plural] = (version["additionalPrinterColumns"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
        }
        #expect(shortNames == ["staticgatewayconfigurations": ["sgc"], "gatewaylbconfigurations": ["gwlbc"],
                               "gatewayvmconfigurations": ["gwvmc"], "gatewaystatuses": ["gws"], "podendpoints": ["pe"]])
        #expect(kinds["gatewaystatuses"] == "GatewayStatusList")
        #expect(columns["staticgatewayconfigurations"]
            == ["Pool", "VMSS", "Egress Prefix", "Gateway IP", "Port", "Ready", "Reason", "Age"])
        #expect(columns["podendpoints"] == ["Gateway", "Pod IP", "Age"])
        #expect(columns["gatewaystatuses"] == ["Gateways", "Peers", "Age"])

        let sgc = try #require(try Self.load("staticgatewayconfigurations")["spec"]?["versions"]?.arrayValue?.first)
        let ready = try #require(sgc["additionalPrinterColumns"]?.arrayValue?.first { $0["name"] == "Ready" })
        #expect(ready["jsonPath"] == #".status.conditions[?(@.type=="Ready")].status"#)
    }

    @Test func additiveStatusMembersFollowMetaV1() throws {
        let nodes = schemaNodes(try Self.schema(Self.load("staticgatewayconfigurations")))
        let conditions = try #require(nodes["status.conditions"])
        #expect(conditions["x-kubernetes-list-type"] == "map")
        #expect(conditions["x-kubernetes-list-map-keys"] == ["type"])
        #expect(nodes["status.conditions[]"]?["required"]
            == ["lastTransitionTime", "message", "reason", "status", "type"])
        #expect(nodes["status.conditions[].status"]?["enum"] == ["True", "False", "Unknown"])
        #expect(nodes["status.conditions[].lastTransitionTime"]?["format"] == "date-time")
        #expect(nodes["status.observedGeneration"]?["format"] == "int64")
    }

    /// Every member the models write has a schema node, so the API server does not prune it.
    @Test func schemasCoverEveryMemberTheModelsWrite() throws {
        for (plural, object) in zip(["gatewaystatuses", "gatewaylbconfigurations", "gatewayvmconfigurations",
                                     "podendpoints", "staticgatewayconfigurations"], try FullObjects.all()) {
            let schemaPaths = Set(schemaNodes(try Self.schema(Self.load(plural))).keys.map {
                $0.replacingOccurrences(of: "[]", with: "")
            })
            let written = memberPaths(object, stopAt: ["metadata"])
            #expect(written.subtracting(schemaPaths).isEmpty, "\(plural): \(written.subtracting(schemaPaths).sorted())")
        }
    }

    /// Structural-schema rules the API server enforces on CRDs: a type on every node, defaults of the node's type
    /// and within its enum, nothing below `metadata`.
    @Test(arguments: plurals)
    func schemasAreStructural(_ plural: String) throws {
        let nodes = schemaNodes(try Self.schema(Self.load(plural)))
        for (path, node) in nodes {
            let type = node["type"]?.stringValue
            #expect(type != nil, "\(plural) \(path) has no type")
            if let value = node["default"] {
                switch (type, value) {
                case ("string", .string), ("boolean", .bool), ("integer", .integer): break
                default: Issue.record("\(plural) \(path): default \(value) is not a \(type ?? "?")")
                }
                if let allowed = node["enum"]?.arrayValue { #expect(allowed.contains(value)) }
            }
        }
        #expect(nodes["metadata"] == ["type": "object"])
    }
}

/// Schema nodes by dotted path (`""` is the root); array items are `path[]`.
func schemaNodes(_ schema: JSONValue, path: String = "") -> [String: JSONValue] {
    var nodes = [path: schema]
    for (name, property) in schema["properties"]?.objectValue ?? [:] {
        nodes.merge(schemaNodes(property, path: path.isEmpty ? name : "\(path).\(name)")) { $1 }
    }
    if let items = schema["items"] {
        nodes.merge(schemaNodes(items, path: path + "[]")) { $1 }
    }
    return nodes
}

extension JSONValue {
    /// Converts what `Yams.load` returns.
    init(yaml value: Any) throws {
        switch value {
        case let text as String: self = .string(text)
        case let flag as Bool: self = .bool(flag)
        case let number as Int: self = .integer(Int64(number))
        case let number as Double: self = .double(number)
        case let list as [Any]: self = .array(try list.map(JSONValue.init(yaml:)))
        case let map as [String: Any]: self = .object(try map.mapValues(JSONValue.init(yaml:)))
        case is NSNull: self = .null
        default: throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "unexpected YAML \(value)"))
        }
    }
}
