import Foundation
import Kube
import Testing

@Suite struct ResourceDescriptorTests {
    @Test func pathsForCoreAndGroupedResources() {
        #expect(ResourceDescriptor.pod.apiVersion == "v1")
        #expect(ResourceDescriptor.pod.collectionPath() == "/api/v1/pods")
        #expect(ResourceDescriptor.pod.collectionPath(namespace: "ns") == "/api/v1/namespaces/ns/pods")
        #expect(ResourceDescriptor.pod.objectPath(name: "p", namespace: "ns", subresource: "status")
            == "/api/v1/namespaces/ns/pods/p/status")
        #expect(ResourceDescriptor.node.objectPath(name: "n1", namespace: "ignored") == "/api/v1/nodes/n1")
        #expect(ResourceDescriptor.lease.apiVersion == "coordination.k8s.io/v1")
        #expect(ResourceDescriptor.lease.listKind == "LeaseList")
        #expect(ResourceDescriptor.customResourceDefinition.qualifiedPlural
            == "customresourcedefinitions.apiextensions.k8s.io")
        #expect(ResourceDescriptor.secret.description == "Secret.v1")
    }
}

@Suite struct ConditionTests {
    let t0 = Timestamp(secondsSince1970: 1000)
    let t1 = Timestamp(secondsSince1970: 2000)

    @Test func transitionTimeMovesOnlyWhenStatusChanges() {
        var conditions: [Condition] = []
        var changed = conditions.set(Condition(type: "Ready", status: .false, reason: "Waiting", message: "a"), now: t0)
        #expect(changed && conditions[0].lastTransitionTime == t0)

        changed = conditions.set(Condition(type: "Ready", status: .false, reason: "StillWaiting", message: "b",
                                           observedGeneration: 2), now: t1)
        #expect(changed && conditions[0].lastTransitionTime == t0)
        #expect(conditions[0].reason == "StillWaiting" && conditions[0].observedGeneration == 2)

        changed = conditions.set(Condition(type: "Ready", status: .false, reason: "StillWaiting", message: "b",
                                           observedGeneration: 2), now: t1)
        #expect(!changed)

        changed = conditions.set(Condition(type: "Ready", status: .true, reason: "Done", observedGeneration: 2), now: t1)
        #expect(changed && conditions[0].lastTransitionTime == t1)
        #expect(conditions.isTrue("Ready"))
        #expect(conditions.count == 1)

        conditions.set(Condition(type: "Degraded", status: .unknown, reason: "Probing"), now: t1)
        #expect(conditions.condition(ofType: "Degraded")?.status == .unknown)
        let removed = conditions.remove(type: "Degraded")
        let removedAgain = conditions.remove(type: "Degraded")
        #expect(removed && !removedAgain)
    }

    @Test func wireFormMatchesMetaV1() throws {
        let condition = try expectRoundTrip(Condition.self, #"""
            {"type": "Ready", "status": "True", "reason": "Provisioned", "message": "",
             "lastTransitionTime": "2026-01-02T03:04:05Z", "observedGeneration": 3}
            """#)
        #expect(condition.status == .true)
        // message is always written (meta/v1 requires it), observedGeneration only when set.
        let fresh = Condition(type: "Ready", status: .false, reason: "Waiting", lastTransitionTime: t0)
        #expect(try encoded(fresh) == json(#"""
            {"type": "Ready", "status": "False", "reason": "Waiting", "message": "",
             "lastTransitionTime": "1970-01-01T00:16:40Z"}
            """#))
    }
}

@Suite struct StatusTests {
    @Test func decodesTheAPIServersInvalidAnswer() throws {
        let status = try expectRoundTrip(Status.self, #"""
            {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
             "message": "StaticGatewayConfiguration.egressgateway.kubernetes.azure.com \"gw\" is invalid: spec.defaultRoute: Unsupported value: \"x\": supported values: \"azureNetworking\", \"staticEgressGateway\"",
             "reason": "Invalid",
             "details": {"name": "gw", "group": "egressgateway.kubernetes.azure.com", "kind": "StaticGatewayConfiguration",
                         "causes": [{"reason": "FieldValueNotSupported",
                                     "message": "Unsupported value: \"x\": supported values: \"azureNetworking\", \"staticEgressGateway\"",
                                     "field": "spec.defaultRoute"}]},
             "code": 422}
            """#)
        #expect(status.reason == .invalid && status.code == 422)
        #expect(status.details?.causes.first?.field == "spec.defaultRoute")
    }

    @Test func decodesNotFoundAndTooManyRequests() throws {
        let notFound = try expectRoundTrip(Status.self, #"""
            {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
             "message": "pods \"x\" not found", "reason": "NotFound", "details": {"name": "x", "kind": "pods"},
             "code": 404}
            """#)
        #expect(notFound.reason == .notFound)
        #expect(notFound.description == "pods \"x\" not found")
        let throttled = try decode(Status.self, #"""
            {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "TooManyRequests",
             "details": {"retryAfterSeconds": 2}, "code": 429}
            """#)
        #expect(throttled.details?.retryAfterSeconds == 2)
    }

    @Test func fieldErrorsAreWordedLikeTheAPIServer() {
        let errors: [FieldError] = [
            .invalid("spec.port", 70000, "must be between 6000 and 6999"),
            .required("spec.name", "name is required"),
            .forbidden("spec.secret", "may not be set"),
            .notSupported("spec.mode", "x", supported: ["a", "b"]),
            .invalid("spec.text", "a \"quoted\" value", "bad"),
        ]
        #expect(errors.map(\.description) == [
            "spec.port: Invalid value: 70000: must be between 6000 and 6999",
            "spec.name: Required value: name is required",
            "spec.secret: Forbidden: may not be set",
            "spec.mode: Unsupported value: \"x\": supported values: \"a\", \"b\"",
            "spec.text: Invalid value: \"a \\\"quoted\\\" value\": bad",
        ])
        let invalid = InvalidObjectError(.pod, name: "web", errors: Array(errors.prefix(2)))
        #expect(invalid.description == "Pod \"web\" is invalid: [spec.port: Invalid value: 70000: must be between"
            + " 6000 and 6999, spec.name: Required value: name is required]")
        let single = InvalidObjectError(group: "g.example.com", kind: "Thing", name: "t", errors: [errors[2]])
        #expect(single.description == "Thing.g.example.com \"t\" is invalid: spec.secret: Forbidden: may not be set")
        let status = invalid.status
        #expect(status.code == 422 && status.reason == .invalid && status.status == Status.failure)
        #expect(status.details?.causes.map(\.reason) == ["FieldValueInvalid", "FieldValueRequired"])
        #expect(status.details?.causes.map(\.field) == ["spec.port", "spec.name"])
    }
}
