import Testing
@testable import CNIPlugin

@Suite("CNI_ARGS")
struct ArgumentsTests {
    @Test("kubelet's arguments parse; unknown keys are dropped with IgnoreUnknown (upstream-cni §5.6)")
    func kubelet() throws {
        let arguments = try CNIArguments(parsing: "IgnoreUnknown=true;K8S_POD_NAMESPACE=testns;K8S_POD_NAME=testpod;K8S_POD_INFRA_CONTAINER_ID=abc;K8S_POD_UID=1234")
        #expect(arguments == CNIArguments(podName: "testpod", podNamespace: "testns", podInfraContainerID: "abc"))
        #expect(arguments.pod == PodReference(namespace: "testns", name: "testpod"))
        #expect(arguments.pod?.description == "testns/testpod")
    }

    @Test("IgnoreUnknown accepts 1 and true in any case, wherever it stands", arguments: ["1", "true", "TRUE", "True"])
    func ignoreUnknown(value: String) throws {
        #expect(try CNIArguments(parsing: "K8S_POD_UID=u;IgnoreUnknown=\(value);K8S_POD_NAME=p").podName == "p")
    }

    @Test("empty or missing arguments name no pod")
    func empty() throws {
        #expect(try CNIArguments(parsing: nil).pod == nil)
        #expect(try CNIArguments(parsing: "").pod == nil)
        #expect(try CNIArguments(parsing: "K8S_POD_NAME=p").pod == nil, "no namespace, no pod")
        #expect(try CNIArguments(parsing: "K8S_POD_NAME=;K8S_POD_NAMESPACE=ns").pod == nil)
    }

    @Test("bad pairs and unknown keys are code 4 naming them", arguments: [
        ("K8S_POD_NAME", #"CNI_ARGS: invalid pair "K8S_POD_NAME": expected KEY=VALUE"#),
        ("A=b=c", #"CNI_ARGS: invalid pair "A=b=c": expected KEY=VALUE"#),
        ("=v", #"CNI_ARGS: invalid pair "=v": expected KEY=VALUE"#),
        ("K8S_POD_UID=u", #"CNI_ARGS: unknown key "K8S_POD_UID" (set IgnoreUnknown=1 to allow it)"#),
        ("IgnoreUnknown=0;X=1", #"CNI_ARGS: unknown key "X" (set IgnoreUnknown=1 to allow it)"#),
        ("IgnoreUnknown=yes", #"CNI_ARGS: IgnoreUnknown="yes" is not a boolean (1, 0, true, false)"#),
    ])
    func invalid(text: String, message: String) {
        #expect(throws: CNIError(code: .invalidEnvironment, message: message)) { try CNIArguments(parsing: text) }
    }
}
