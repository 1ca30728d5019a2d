import EgressGatewayAPI
import Foundation
import Kube
import TestSupport
import Testing

/// The SGC's CEL rules, as shipped in deploy/crds, evaluated by a real CEL implementation (cel-python) with
/// `self` bound to sample specs. Each sample must fail exactly the rules whose messages the in-code validation
/// reports for it, so `kubectl apply` and the operator agree.
@Suite(.enabled(if: CELPython.isAvailable, "cel-python (`import celpy`) is not installed and pip could not install it"))
struct CELRuleTests {
    struct Sample: Sendable, CustomStringConvertible {
        let name: String
        let spec: JSONValue
        let failing: [String]
        var description: String { name }
    }

    static let fullProfile: JSONValue = ["vmssResourceGroup": "rg", "vmssName": "vmss", "publicIpPrefixSize": 31]
    static let prefixID: JSONValue =
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/publicIPPrefixes/p"

    static let samples: [Sample] = [
        Sample(name: "nodepool", spec: ["gatewayNodepoolName": "gw", "provisionPublicIps": true], failing: []),
        Sample(name: "nodepool, empty profile, defaults applied",
               spec: ["gatewayNodepoolName": "gw", "gatewayVmssProfile": [:], "defaultRoute": "staticEgressGateway",
                      "provisionPublicIps": false],
               failing: []),
        Sample(name: "profile", spec: ["gatewayVmssProfile": fullProfile, "provisionPublicIps": true], failing: []),
        Sample(name: "profile with size 0", spec: [
            "gatewayVmssProfile": ["vmssResourceGroup": "rg", "vmssName": "vmss", "publicIpPrefixSize": 0],
        ], failing: []),
        Sample(name: "nothing", spec: ["provisionPublicIps": true], failing: [ValidationMessage.poolMissing]),
        Sample(name: "empty name and empty profile",
               spec: ["gatewayNodepoolName": "", "gatewayVmssProfile": [:], "provisionPublicIps": true],
               failing: [ValidationMessage.poolMissing]),
        Sample(name: "both", spec: ["gatewayNodepoolName": "gw", "gatewayVmssProfile": fullProfile],
               failing: [ValidationMessage.poolAmbiguous]),
        Sample(name: "profile with only a size", spec: ["gatewayVmssProfile": ["publicIpPrefixSize": 31]],
               failing: [ValidationMessage.vmssResourceGroupEmpty, ValidationMessage.vmssNameEmpty]),
        Sample(name: "profile with empty name", spec: [
            "gatewayVmssProfile": ["vmssResourceGroup": "rg", "vmssName": "", "publicIpPrefixSize": 31],
        ], failing: [ValidationMessage.vmssNameEmpty]),
        Sample(name: "prefix without public IPs",
               spec: ["gatewayNodepoolName": "gw", "provisionPublicIps": false, "publicIpPrefixId": prefixID],
               failing: [ValidationMessage.prefixIDWithoutPublicIPs]),
        Sample(name: "prefix with public IPs",
               spec: ["gatewayNodepoolName": "gw", "provisionPublicIps": true, "publicIpPrefixId": prefixID],
               failing: []),
        Sample(name: "prefix, provisionPublicIps not yet defaulted",
               spec: ["gatewayNodepoolName": "gw", "publicIpPrefixId": prefixID], failing: []),
        Sample(name: "empty prefix without public IPs",
               spec: ["gatewayNodepoolName": "gw", "provisionPublicIps": false, "publicIpPrefixId": ""], failing: []),
        Sample(name: "everything wrong",
               spec: ["gatewayNodepoolName": "gw", "gatewayVmssProfile": ["vmssName": "vmss"],
                      "provisionPublicIps": false, "publicIpPrefixId": prefixID],
               failing: [ValidationMessage.poolAmbiguous, ValidationMessage.vmssResourceGroupEmpty,
                         ValidationMessage.prefixIDWithoutPublicIPs]),
    ]

    /// The rules of the shipped SGC CRD, read from deploy/crds.
    static func shippedRules() throws -> [(rule: String, message: String)] {
        let schema = try CRDSchemaTests.schema(CRDSchemaTests.load("staticgatewayconfigurations"))
        let rules = schema["properties"]?["spec"]?["x-kubernetes-validations"]?.arrayValue ?? []
        return rules.compactMap { rule in
            guard let text = rule["rule"]?.stringValue, let message = rule["message"]?.stringValue else { return nil }
            return (text, message)
        }
    }

    @Test func theShippedRulesAreTheModelsRules() throws {
        let shipped = try Self.shippedRules()
        #expect(shipped.map(\.rule) == StaticGatewayConfigurationRules.all.map(\.rule))
        #expect(shipped.count == 5)
    }

    @Test func rulesAcceptValidAndRejectInvalidSpecs() async throws {
        let rules = try Self.shippedRules()
        let results = try await CELPython.evaluate(rules: rules.map(\.rule), on: Self.samples.map(\.spec))
        for (sample, outcome) in zip(Self.samples, results) {
            var failing: [String] = []
            for (rule, result) in zip(rules, outcome) {
                switch result {
                case .bool(true): break
                case .bool(false): failing.append(rule.message)
                default: Issue.record("\(sample.name): rule \(rule.rule) did not give a boolean: \(result)")
                }
            }
            #expect(failing == sample.failing, "\(sample.name)")
        }
    }

    /// The in-code validation reports the same messages (where the rules cover the check).
    @Test(arguments: samples)
    func inCodeValidationAgrees(_ sample: Sample) throws {
        let spec = try sample.spec.decode(as: StaticGatewayConfigurationSpec.self)
        let covered = Set(StaticGatewayConfigurationRules.all.map(\.message))
        let messages = spec.validationErrors().map(\.detail).filter(covered.contains)
        #expect(messages == sample.failing)
    }
}

/// cel-python, driven through `python3`.
enum CELPython {
    /// Whether `import celpy` works, after one `pip install cel-python` attempt if it did not.
    static let isAvailable: Bool = {
        if canImport() { return true }
        _ = try? ChildProcess.runBlocking("/usr/bin/env", ["python3", "-m", "pip", "install", "--quiet", "cel-python"])
        return canImport()
    }()

    private static func canImport() -> Bool {
        (try? ChildProcess.runBlocking("/usr/bin/env", ["python3", "-c", "import celpy"]))?.status == 0
    }

    /// Evaluates each rule with `self` bound to each sample; one result list per sample, in rule order: a boolean,
    /// or a string describing an evaluation error (which the API server treats as a failed rule).
    static func evaluate(rules: [String], on samples: [JSONValue]) async throws -> [[JSONValue]] {
        let input = try JSONValue.object(["rules": .array(rules.map(JSONValue.string)), "samples": .array(samples)])
            .jsonData()
        let result = try await ChildProcess.run("/usr/bin/env", ["python3", "-c", script], input: input)
        guard result.status == 0 else {
            throw CELError(message: "python3 exited with \(result.status): \(result.standardError)")
        }
        let output = try JSONValue(json: result.stdout)
        return (output.arrayValue ?? []).map { $0.arrayValue ?? [] }
    }

    struct CELError: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }

    private static let script = """
        import json, sys
        import celpy
        from celpy import celtypes
        data = json.load(sys.stdin)
        env = celpy.Environment()
        programs = [env.program(env.compile(rule)) for rule in data["rules"]]
        results = []
        for sample in data["samples"]:
            row = []
            for program in programs:
                try:
                    value = program.evaluate({"self": celpy.json_to_cel(sample)})
                    row.append(bool(value) if isinstance(value, celtypes.BoolType) else "not a boolean: %r" % (value,))
                except Exception as error:
                    row.append("error: %s" % (error,))
            results.append(row)
        json.dump(results, sys.stdout)
        """
}
